package swell.it;

import java.io.IOException;
import java.net.ServerSocket;

/** A free loopback port for a child process that must be told its port in advance. */
public final class Ports {
  private Ports() {
  }

  public static int free() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
