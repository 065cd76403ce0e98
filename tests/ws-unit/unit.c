/*
 * Unit checks for step 07's building blocks, against published vectors:
 * SHA-1 (RFC 3174), base64 (RFC 4648), the accept key (RFC 6455 section
 * 1.3), frame headers (section 5.2), the UTF-8 check (RFC 3629), close
 * codes (section 7.4), the handshake parser (section 4.2.1), and the frame
 * reader fed in pieces. The step's source is included as it is, so these
 * call its static functions; its main() is renamed and never runs.
 *
 * Build: cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o unit unit.c
 * Run:   ./unit   (prints "ok N - ..." or "not ok N - ..."; exits 1 on a failure)
 */
#define main step07_main
#include "../../steps/07-websocket-server/server.c"
#undef main

static int checks, failures;

static void verify(int ok, const char *what)
{
    checks++;
    if (!ok)
        failures++;
    printf("%sok %d - %s\n", ok ? "" : "not ", checks, what);
}

static void to_hex(const unsigned char *bytes, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
}

static void check_sha1_of(const void *data, size_t size, size_t repeat, const char *expected,
                          const char *what)
{
    struct sha1 sha;
    unsigned char digest[SHA1_SIZE];
    char hex[2 * SHA1_SIZE + 1];
    sha1_init(&sha);
    for (size_t i = 0; i < repeat; i++)
        sha1_update(&sha, data, size);
    sha1_final(&sha, digest);
    to_hex(digest, sizeof digest, hex);
    verify(strcmp(hex, expected) == 0, what);
    if (strcmp(hex, expected) != 0)
        printf("#   got %s, want %s\n", hex, expected);
}

static void test_sha1(void)
{
    check_sha1_of("abc", 3, 1, "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1 of \"abc\" (RFC 3174 TEST1)");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha1_of(two_blocks, strlen(two_blocks), 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
                  "SHA-1 of \"abcdbcdecdef...\", two blocks (RFC 3174 TEST2)");
    check_sha1_of("a", 1, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
                  "SHA-1 of a million \"a\", fed one byte at a time (RFC 3174 TEST3)");
    const char *eight = "01234567012345670123456701234567";
    check_sha1_of(eight, strlen(eight), 20, "dea356a2cddd90c7a7ecedc5ebb563934f460452",
                  "SHA-1 of \"01234567\" x 80 (RFC 3174 TEST4)");
    check_sha1_of("", 0, 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1 of nothing");
    /* Around the padding's edges: 55 bytes fit one block with the length, 56 do not. */
    static const struct { size_t size; const char *digest; } edges[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
        {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
        {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
    };
    char a[120];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "SHA-1 of %zu \"a\" (padding edge)", edges[i].size);
        check_sha1_of(a, edges[i].size, 1, edges[i].digest, what);
    }
}

static void test_base64(void)
{
    /* RFC 4648 section 10. */
    static const char *vectors[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *plain = vectors[i][0], *encoded = vectors[i][1];
        char out[16];
        unsigned char back[16];
        char what[64];
        base64_encode((const unsigned char *)plain, strlen(plain), out);
        snprintf(what, sizeof what, "base64 of \"%s\" is \"%s\" (RFC 4648)", plain, encoded);
        verify(strcmp(out, encoded) == 0, what);
        long n = base64_decode(encoded, strlen(encoded), back);
        snprintf(what, sizeof what, "\"%s\" decodes to \"%s\"", encoded, plain);
        verify(n == (long)strlen(plain) && memcmp(back, plain, (size_t)n) == 0, what);
    }
    static const char *invalid[] = {"Zg=", "Zh==", "Zm9=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        unsigned char back[16];
        char what[64];
        snprintf(what, sizeof what, "\"%s\" is refused as base64", invalid[i]);
        verify(base64_decode(invalid[i], strlen(invalid[i]), back) == -1, what);
    }
}

static void test_accept_key(void)
{
    char accept[ACCEPT_SIZE + 1];
    accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept);
    verify(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
          "accept key of dGhlIHNhbXBsZSBub25jZQ== is s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (RFC 6455 1.3)");
    verify(is_valid_key("dGhlIHNhbXBsZSBub25jZQ==", 24), "the RFC's key is base64 of 16 bytes");
    verify(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ=", 23), "a 23-character key is refused");
    verify(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ", 22), "a key without its padding is refused");
    verify(!is_valid_key("dGhlIHNhbXBsZSBub25jZXM=", 24), "base64 of 17 bytes is refused");
    verify(!is_valid_key("dGhlIHNhbXBsZSBub25j", 20), "base64 of 15 bytes is refused");
    verify(!is_valid_key("dGhlIHNhbXBsZSBub25jZR==", 24), "a key with non-zero padding bits is refused");
}

static void check_header(uint64_t length, const char *expected_hex)
{
    unsigned char out[MAX_HEADER_SIZE];
    char hex[2 * MAX_HEADER_SIZE + 1];
    char what[96];
    size_t size = encode_frame_header(1, OP_BINARY, length, out);
    to_hex(out, size, hex);
    snprintf(what, sizeof what, "length %llu encodes as %s", (unsigned long long)length, expected_hex);
    verify(strcmp(hex, expected_hex) == 0, what);

    /* The same header as a client sends it, masked: decode it back. */
    unsigned char masked[MAX_HEADER_SIZE];
    memcpy(masked, out, size);
    masked[1] |= 0x80;
    memcpy(masked + size, "\x11\x22\x33\x44", 4);
    struct frame_header frame;
    int truncated_waits = 1;
    for (size_t n = 0; n < size + 4; n++) {
        if (decode_frame_header(masked, n, &frame) != 0)
            truncated_waits = 0;
    }
    snprintf(what, sizeof what, "length %llu: every truncated header asks for more bytes",
             (unsigned long long)length);
    verify(truncated_waits, what);
    size_t decoded = decode_frame_header(masked, size + 4, &frame);
    snprintf(what, sizeof what, "length %llu decodes back (FIN, opcode, mask, key)",
             (unsigned long long)length);
    verify(decoded == size + 4 && frame.fin == 1 && frame.rsv == 0 && frame.opcode == OP_BINARY &&
              frame.masked == 1 && frame.length == length && memcmp(frame.mask, "\x11\x22\x33\x44", 4) == 0,
          what);
}

static void test_frame_headers(void)
{
    check_header(0, "8200");
    check_header(125, "827d");
    check_header(126, "827e007e");
    check_header(65535, "827effff");
    check_header(65536, "827f0000000000010000");
    check_header(16 * 1024 * 1024, "827f0000000001000000");

    struct frame_header frame;
    const unsigned char bits[] = {0x7A, 0x05}; /* FIN 0, RSV 1-3 set, opcode 10, unmasked, 5 */
    verify(decode_frame_header(bits, 2, &frame) == 2 && frame.fin == 0 && frame.rsv == 7 &&
              frame.opcode == OP_PONG && frame.masked == 0 && frame.length == 5,
          "decoding reads FIN, RSV1-3, opcode and MASK from their bits");

    unsigned char payload[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58}; /* RFC 6455 5.7: masked "Hello" */
    unmask(payload, sizeof payload, (const unsigned char *)"\x37\xfa\x21\x3d", 0);
    verify(memcmp(payload, "Hello", 5) == 0, "unmasking the RFC's masked \"Hello\" (5.7) gives Hello");
    unsigned char split[] = {0x4d, 0x51, 0x58};
    unmask(split, sizeof split, (const unsigned char *)"\x37\xfa\x21\x3d", 2);
    verify(memcmp(split, "llo", 3) == 0, "unmasking from offset 2 uses the key from its third byte");
}

/* Feeds bytes one at a time; returns the index of the byte refused, or -1. */
static long first_refused(const char *bytes, size_t size, int *complete)
{
    struct utf8_check state = {0};
    for (size_t i = 0; i < size; i++) {
        if (utf8_next(&state, (unsigned char)bytes[i]) == -1)
            return (long)i;
    }
    *complete = utf8_complete(&state);
    return -1;
}

static void test_utf8(void)
{
    static const struct { const char *bytes; long refused_at; int complete; const char *what; } cases[] = {
        {"Hello", -1, 1, "ASCII is valid"},
        {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", -1, 1, "\"kosme\" in Greek (2 and 3 bytes) is valid"},
        {"\xf0\x9f\x98\x80", -1, 1, "U+1F600 (4 bytes) is valid"},
        {"\xed\x9f\xbf", -1, 1, "U+D7FF, just below the surrogates, is valid"},
        {"\xee\x80\x80", -1, 1, "U+E000, just above the surrogates, is valid"},
        {"\xf4\x8f\xbf\xbf", -1, 1, "U+10FFFF, the last code point, is valid"},
        {"\xef\xbf\xbf", -1, 1, "U+FFFF (a noncharacter, still valid UTF-8) is valid"},
        {"\xc0\xaf", 0, 0, "overlong '/' in 2 bytes (C0 AF) is refused at its first byte"},
        {"\xc1\xbf", 0, 0, "C1 is never valid"},
        {"\xe0\x80\xaf", 1, 0, "overlong '/' in 3 bytes (E0 80 AF) is refused at its second byte"},
        {"\xf0\x80\x80\xaf", 1, 0, "overlong '/' in 4 bytes is refused at its second byte"},
        {"\xed\xa0\x80", 1, 0, "the surrogate U+D800 (ED A0 80) is refused at its second byte"},
        {"\xed\xbf\xbf", 1, 0, "the surrogate U+DFFF is refused"},
        {"\xf4\x90\x80\x80", 1, 0, "U+110000, above U+10FFFF, is refused at its second byte"},
        {"\xf5\x80\x80\x80", 0, 0, "F5 is never valid"},
        {"\xff", 0, 0, "FF is never valid"},
        {"\x80", 0, 0, "a continuation byte with no lead is refused"},
        {"a\xce" "b", 2, 0, "a 2-byte character cut by ASCII is refused at the ASCII byte"},
        {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64", 12, 0,
         "Autobahn 6.4.1's text fails at the surrogate's second byte, not at the end"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int complete = 0;
        long refused = first_refused(cases[i].bytes, strlen(cases[i].bytes), &complete);
        verify(refused == cases[i].refused_at && (refused != -1 || complete == cases[i].complete),
              cases[i].what);
    }
    int complete = 1;
    verify(first_refused("\xe1\xbd", 2, &complete) == -1 && !complete,
          "a character cut at the end is not refused yet, but not complete");

    struct utf8_check state = {0};
    int ok = utf8_feed(&state, (const unsigned char *)"\xce\xba\xe1", 3) == 0 &&
             !utf8_complete(&state) &&
             utf8_feed(&state, (const unsigned char *)"\xbd", 1) == 0 &&
             utf8_feed(&state, (const unsigned char *)"\xb9", 1) == 0 && utf8_complete(&state);
    verify(ok, "a character split across three pieces is valid (state kept between calls)");
    state = (struct utf8_check){0};
    ok = utf8_feed(&state, (const unsigned char *)"\xed", 1) == 0 &&
         utf8_feed(&state, (const unsigned char *)"\xa0", 1) == -1;
    verify(ok, "a surrogate split across two pieces is refused in the second");
}

static void test_close_codes(void)
{
    static const unsigned valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                     1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const unsigned invalid[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
    int ok = 1;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        ok = ok && is_valid_close_code(valid[i]);
    verify(ok, "close codes 1000-1003, 1007-1014, 3000-4999 are accepted");
    ok = 1;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        ok = ok && !is_valid_close_code(invalid[i]);
    verify(ok, "close codes 0, 999, 1004-1006, 1015, 1016-2999, 5000+ are refused");
}

static int status_of(const char *request)
{
    struct handshake hs;
    parse_handshake(request, strlen(request), &hs);
    return hs.status;
}

static void test_handshake(void)
{
    const char *sample = "GET / HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n";
    verify(status_of(sample) == 101, "the RFC's sample handshake is accepted (101)");
    verify(status_of("get / HTTP/1.1\r\nhost: a\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
                    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n") == 405,
          "methods are case-sensitive: \"get\" is 405");
    verify(status_of("GET / HTTP/1.1\r\nhost: a\r\nupgrade: WebSocket\r\nconnection: keep-alive,  UPGRADE \r\n"
                    "sec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n") == 101,
          "header names and tokens ignore case; Connection is a list");
    verify(status_of("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n") == 426,
          "version 8 gets 426");
    verify(status_of("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n") == 400,
          "no key gets 400");
    verify(status_of("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: close\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n") == 400,
          "Connection without upgrade gets 400");
    verify(status_of("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n") == 400,
          "no Host gets 400");
    verify(status_of("POST / HTTP/1.1\r\nHost: a\r\n\r\n") == 405, "POST gets 405");
    verify(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 200, "a plain GET / gets the page (200)");
    verify(status_of("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n") == 404, "a plain GET /nothing gets 404");
    verify(status_of("GET / HTTP/1.0\r\n\r\n") == 200, "HTTP/1.0 GET /, with no Host (RFC 7230 5.4), gets the page");
    verify(status_of("GET /  HTTP/1.1\r\nHost: a\r\n\r\n") == 400, "two spaces in the request line get 400");
    /* The same upgrade headers after each request line. */
    const char *upgrade = "Host: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    static const struct {
        const char *request_line;
        int status;
        const char *what;
    } lines[] = {
        {"GET / HTTP/1.2", 101, "HTTP/1.2 is \"HTTP/1.1 or higher\": 101 (RFC 6455 4.1)"},
        {"GET / HTTP/2.0", 505, "HTTP/2.0 gets 505"},
        {"GET / HTTP/1.x", 400, "HTTP/1.x gets 400"},
        {"GET / HTTP/1.0", 200, "HTTP/1.0's Upgrade is ignored (RFC 7230 6.7): the page, not 101"},
        {"PRI * HTTP/2.0", 505, "the HTTP/2 preface's line gets 505"},
        {"OPTIONS * HTTP/1.1", 405, "OPTIONS * (asterisk-form) gets 405"},
        {"CONNECT a:1 HTTP/1.1", 405, "CONNECT a:1 (authority-form) gets 405"},
        {"GET http://a:9797/ HTTP/1.1", 101, "an absolute URI for / is accepted: 101 (RFC 7230 5.3.2)"},
        {"GET HTTPS://a/ HTTP/1.1", 101, "the scheme is case-insensitive, and https is allowed: 101"},
        {"GET http://a HTTP/1.1", 101, "an absolute URI with an empty path means /: 101"},
        {"GET http://a?x HTTP/1.1", 101, "an absolute URI with only a query is for /: 101"},
        {"GET http://a/chat HTTP/1.1", 404, "an absolute URI for /chat gets 404"},
        {"GET http:///x HTTP/1.1", 400, "an absolute URI without a host gets 400"},
        {"GET http://:80/ HTTP/1.1", 400, "an absolute URI with a port but no host gets 400 (RFC 7230 2.7.1)"},
        {"GET http://u@a/ HTTP/1.1", 400, "an absolute URI with user information gets 400 (RFC 7230 2.7.1)"},
        {"GET ws://a/ HTTP/1.1", 400, "a ws: URI as the target gets 400 (RFC 6455 4.2.1: http or https)"},
        {"GET ftp://a/ HTTP/1.1", 400, "an ftp: URI gets 400"},
        {"GET http://a/#f HTTP/1.1", 400, "a fragment in an absolute URI gets 400"},
        {"GET /#f HTTP/1.1", 400, "a fragment in a path gets 400"},
        {"GET chat HTTP/1.1", 400, "a target that is neither a path nor a URI gets 400"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char request[512];
        snprintf(request, sizeof request, "%s\r\n%s", lines[i].request_line, upgrade);
        verify(status_of(request) == lines[i].status, lines[i].what);
    }
    verify(status_of("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n") == 400, "a folded header line gets 400");
    verify(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == 400, "a space before the colon gets 400");
    verify(status_of("\r\n\r\n") == 400, "an empty request line gets 400");
}

/* A connection with no socket: what it would send piles up in pending. */
static void feed_in_pieces(struct connection *client, const unsigned char *bytes, size_t size, size_t piece)
{
    unsigned char copy[256];
    for (size_t at = 0; at < size && client->phase != CLOSING; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        memcpy(copy, bytes + at, n);
        receive_bytes(client, copy, n);
    }
}

/* Where text first occurs in size bytes of data (not a C string), or NULL. */
static const char *find(const char *data, size_t size, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; data != NULL && i + n <= size; i++) {
        if (memcmp(data + i, text, n) == 0)
            return data + i;
    }
    return NULL;
}

/* The server's log lines go to /dev/null while these run, not among the
 * results: quiet_stdout() returns what restore_stdout() needs. */
static int quiet_stdout(void)
{
    fflush(stdout);
    int saved_stdout = dup(STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (saved_stdout == -1 || null == -1 || dup2(null, STDOUT_FILENO) == -1 || close(null) == -1) {
        perror("dup");
        exit(1);
    }
    return saved_stdout;
}

static void restore_stdout(int saved_stdout)
{
    fflush(stdout);
    if (dup2(saved_stdout, STDOUT_FILENO) == -1 || close(saved_stdout) == -1) {
        perror("dup2");
        exit(1);
    }
}

static void test_reader(void)
{
    int saved_stdout = quiet_stdout();
    const char *request = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    /* "Hel" (text, not final), a ping "p" in between, "lo" (continuation, final), all masked. */
    const unsigned char frames[] = {0x01, 0x83, 1, 2, 3, 4, 'H' ^ 1, 'e' ^ 2, 'l' ^ 3,
                                    0x89, 0x81, 9, 9, 9, 9, 'p' ^ 9,
                                    0x80, 0x82, 0, 0, 0, 0, 'l', 'o'};
    const char *expected_reply = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x8a\x01p\x81\x05Hello";
    size_t pieces[] = {1, 2, 7, 256};
    int all_ok = 1;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        struct connection client = {.fd = -1, .phase = HANDSHAKE};
        unsigned char all[512];
        size_t size = strlen(request);
        memcpy(all, request, size);
        memcpy(all + size, frames, sizeof frames);
        feed_in_pieces(&client, all, size + sizeof frames, pieces[i]);
        const char *tail = find(client.pending, client.pending_size, "s3pP");
        size_t tail_size = tail == NULL ? 0 : client.pending_size - (size_t)(tail - client.pending);
        all_ok = all_ok && client.phase == OPEN && tail != NULL &&
                 tail_size == strlen("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n") + 10 &&
                 memcmp(tail, expected_reply, tail_size) == 0;
        free_connection(&client);
    }
    restore_stdout(saved_stdout);
    verify(all_ok, "handshake and fragmented text with a ping between, fed 1, 2, 7 or all bytes at a "
                  "time: 101, pong, then \"Hello\" as one frame");
}

/* The output queue grows to MAX_PENDING, never past it: not one byte more
 * is queued, and the buffer is no bigger (the chapter's 129 MiB per client). */
static void test_pending_limit(void)
{
    char *bytes = calloc(MAX_PENDING, 1);
    if (bytes == NULL) {
        perror("calloc");
        exit(1);
    }
    struct connection client = {.fd = -1, .phase = OPEN};
    int saved_stdout = quiet_stdout();
    int filled = queue_output(&client, bytes, 4096) == 0 && queue_output(&client, bytes, MAX_PENDING - 4096) == 0;
    int refused = queue_output(&client, bytes, 1) == -1;
    restore_stdout(saved_stdout);
    verify(filled && client.pending_size == MAX_PENDING, "MAX_PENDING bytes of output can be queued");
    verify(client.pending_capacity == MAX_PENDING, "the output buffer is then MAX_PENDING bytes, not the next power of two");
    verify(refused && client.pending_size == MAX_PENDING, "one byte more is refused");
    free_connection(&client);
    free(bytes);
}

int main(void)
{
    test_sha1();
    test_base64();
    test_accept_key();
    test_frame_headers();
    test_utf8();
    test_close_codes();
    test_handshake();
    test_reader();
    test_pending_limit();
    printf("1..%d\n", checks);
    return failures == 0 ? 0 : 1;
}
