package swell.loadtest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bytes of each enqueue: the head an endpoint expects, then the work's own body. */
class EnqueueRequestsTest {
  @Test
  void eachRequestIsTheHeadOfItsUrlThenTheBodyOfItsWork() {
    Bodies bodies = new Bodies(3, 100);
    EnqueueRequests requests = new EnqueueRequests(List.of("http://127.0.0.1:5000", "http://swell.example/api"), 7,
        "swk_key", bodies);

    byte[] first = requests.request(0, 41).getBytes();
    String head = "PUT /enqueue?iterations=7 HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n"
        + "Content-Type: application/octet-stream\r\nContent-Length: 100\r\nAuthorization: Bearer swk_key\r\n\r\n";
    assertThat(new String(first, 0, head.length(), StandardCharsets.ISO_8859_1)).isEqualTo(head);
    assertThat(Arrays.copyOfRange(first, head.length(), first.length)).isEqualTo(bodies.body(41));

    String second = new String(requests.request(1, 42).getBytes(), StandardCharsets.ISO_8859_1);
    assertThat(second).startsWith("PUT /api/enqueue?iterations=7 HTTP/1.1\r\nHost: swell.example\r\n");
  }
}
