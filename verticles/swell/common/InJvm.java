package swell.common;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Objects handed between verticles of one JVM over the event bus as they are: no copy, no
 * encoding. The {@code local} role's endpoints give their batches of works to the balancer this way
 * instead of over loopback HTTP; between machines the binary batch forward stays.
 */
public final class InJvm {
  /** The codec's name; it only passes references, so it never crosses a JVM. */
  private static final String CODEC = "swell-in-jvm";

  private InJvm() {
  }

  /** Registers the pass-through codec on this Vert.x once; later calls do nothing. */
  public static synchronized void register(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new PassThrough());
    } catch (IllegalStateException alreadyRegistered) {
      // one codec per Vert.x is all it takes
    }
  }

  /** Options for a request that passes its object itself and fails after {@code timeoutMs} without an answer. */
  public static DeliveryOptions request(long timeoutMs) {
    return new DeliveryOptions().setCodecName(CODEC).setLocalOnly(true).setSendTimeout(timeoutMs);
  }

  /** Options for a reply that passes its object itself. */
  public static DeliveryOptions reply() {
    return new DeliveryOptions().setCodecName(CODEC).setLocalOnly(true);
  }

  private static final class PassThrough implements MessageCodec<Object, Object> {
    @Override
    public void encodeToWire(Buffer buffer, Object o) {
      throw new UnsupportedOperationException("in-JVM messages never leave the JVM");
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("in-JVM messages never leave the JVM");
    }

    @Override
    public Object transform(Object o) {
      return o;
    }

    @Override
    public String name() {
      return CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
