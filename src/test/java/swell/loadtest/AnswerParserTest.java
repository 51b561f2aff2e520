package swell.loadtest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTP/1.1 answers read from bytes as a connection delivers them: whole, split anywhere, chunked, framed by close. */
class AnswerParserTest {
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 45\r\n\r\n"
      + "{\"id\":\"0190c1f2-7a3b-7c4d-8e5f-60718293a4b5\"}";

  private static void feed(AnswerParser p, String s) {
    byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
    p.feed(b, 0, b.length);
  }

  private static String body(AnswerParser.Parsed a) {
    return new String(a.body(), StandardCharsets.UTF_8);
  }

  @Test
  void anAnswerFramedByContentLength() {
    AnswerParser p = new AnswerParser();
    feed(p, OK);

    AnswerParser.Parsed a = p.next();
    assertThat(a.status()).isEqualTo(200);
    assertThat(body(a)).isEqualTo("{\"id\":\"0190c1f2-7a3b-7c4d-8e5f-60718293a4b5\"}");
    assertThat(a.close()).isFalse();
    assertThat(p.next()).isNull();
    assertThat(p.partial()).isFalse();
  }

  @Test
  void anAnswerSplitAtEveryByteComesOutWholeOnce() {
    AnswerParser p = new AnswerParser();
    int answers = 0;
    String two = OK + OK;
    for (int i = 0; i < two.length(); i++) {
      feed(p, two.substring(i, i + 1));
      AnswerParser.Parsed a;
      while ((a = p.next()) != null) {
        assertThat(body(a)).startsWith("{\"id\":");
        answers++;
      }
    }
    assertThat(answers).isEqualTo(2);
  }

  @Test
  void retryAfterAndConnectionCloseAreRead() {
    AnswerParser p = new AnswerParser();
    feed(p, "HTTP/1.1 503 Service Unavailable\r\nRetry-After:  2 \r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");

    AnswerParser.Parsed a = p.next();
    assertThat(a.status()).isEqualTo(503);
    assertThat(a.retryAfter()).isEqualTo("2");
    assertThat(a.close()).isTrue();
  }

  @Test
  void aChunkedBodyIsJoined() {
    AnswerParser p = new AnswerParser();
    feed(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n");
    assertThat(p.next()).isNull();
    feed(p, "6\r\n world\r\n0\r\nTrailer: t\r\n\r\n");

    assertThat(body(p.next())).isEqualTo("hello world");
    assertThat(p.partial()).isFalse();
  }

  @Test
  void interimAnswersAreSkipped() {
    AnswerParser p = new AnswerParser();
    feed(p, "HTTP/1.1 100 Continue\r\n\r\n" + OK);

    assertThat(p.next().status()).isEqualTo(200);
  }

  @Test
  void aBodyWithoutFramingEndsWithTheConnection() {
    AnswerParser p = new AnswerParser();
    feed(p, "HTTP/1.0 200 OK\r\n\r\n{\"id\":\"x\"}");
    assertThat(p.next()).isNull();

    AnswerParser.Parsed a = p.atClose();
    assertThat(body(a)).isEqualTo("{\"id\":\"x\"}");
    assertThat(a.close()).isTrue();
  }

  @Test
  void aCutShortAnswerIsNothingAtClose() {
    AnswerParser p = new AnswerParser();
    feed(p, OK.substring(0, OK.length() - 3));

    assertThat(p.next()).isNull();
    assertThat(p.atClose()).isNull();
  }

  @Test
  void bytesThatAreNotHttpAreRefused() {
    AnswerParser p = new AnswerParser();
    feed(p, "SSH-2.0-OpenSSH_9.2\r\n\r\n");

    assertThatThrownBy(p::next).isInstanceOf(AnswerParser.MalformedAnswer.class);
  }
}
