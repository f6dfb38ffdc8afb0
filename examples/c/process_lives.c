/*
 * process_lives: a test run by scripts/test-c.sh, through nothing but the header. Hostile
 * batches must give their status and message, and leave the process able to go on encoding
 * and decoding; the per-call decode cap (tpc_codec_builder_set_max_total_decoded_size) must
 * stop a batch at the payload that crosses it, and refuse 0.
 *
 *   process_lives [STATUS FRAGMENT FILE]...
 *
 * Each triple is a batch written by tests/hostile/make_hostile.py: the status its decode must
 * give (a TPC_ERR_* name), a fragment of the message, the file. test-c.sh runs this under a
 * 4 GiB address-space limit: before the library bounded decoding, the claims batches made it
 * reserve tens of GiB and abort the process. Exit 0 when every check passed, else 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal_payload_codec.h"

/* The library's documented default per-call cap. */
#define DEFAULT_MAX_TOTAL ((size_t)256 << 20)

static int failures, checks;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void fail(const char *fmt, ...) {
    va_list args;
    failures++;
    fprintf(stderr, "FAILED: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\n");
}

static int contains(const uint8_t *hay, size_t hay_len, const char *needle) {
    size_t n = strlen(needle), i;
    if (n == 0) return 1;
    for (i = 0; hay && i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) return 1;
    }
    return 0;
}

/* A message to print: err is not NUL-terminated. */
static const char *message(const tpc_buffer *err) {
    static char text[512];
    size_t n = err->len < sizeof text - 1 ? err->len : sizeof text - 1;
    if (err->data) memcpy(text, err->data, n);
    text[err->data ? n : 0] = '\0';
    return text;
}

/* Checks a failed call: the status, the message fragment, and no output. Frees err. */
static void expect_error(const char *what, tpc_status got, tpc_status want, tpc_buffer *err,
                         const char *fragment) {
    char status[96];
    checks++;
    snprintf(status, sizeof status, "%s (%u), want %s (%u)", tpc_status_str(got), (unsigned)got,
             tpc_status_str(want), (unsigned)want);
    if (got != want) {
        fail("%s: %s: %s", what, status, message(err));
    } else if (!contains(err->data, err->len, fragment)) {
        fail("%s: message \"%s\" lacks \"%s\"", what, message(err), fragment);
    }
    tpc_buffer_free(err);
}

static tpc_status status_named(const char *name) {
    static const struct { const char *name; tpc_status status; } names[] = {
        {"TPC_ERR_NULL_ARGUMENT", TPC_ERR_NULL_ARGUMENT},
        {"TPC_ERR_INVALID_ARGUMENT", TPC_ERR_INVALID_ARGUMENT},
        {"TPC_ERR_MALFORMED_INPUT", TPC_ERR_MALFORMED_INPUT},
        {"TPC_ERR_CORRUPT_PAYLOAD", TPC_ERR_CORRUPT_PAYLOAD},
        {"TPC_ERR_LIMIT_EXCEEDED", TPC_ERR_LIMIT_EXCEEDED},
        {"TPC_ERR_UNKNOWN_KEY", TPC_ERR_UNKNOWN_KEY},
        {"TPC_ERR_DECRYPT_FAILED", TPC_ERR_DECRYPT_FAILED},
        {"TPC_ERR_INTERNAL", TPC_ERR_INTERNAL},
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, name) == 0) return names[i].status;
    }
    return TPC_OK; /* the caller reports an unknown name */
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)size + 1)) != NULL && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) *len = (size_t)size;
    return data;
}

/* codec NULL means the simple tier's entry points (the default codec). */
static tpc_status decode(const tpc_codec *codec, const uint8_t *in, size_t len, tpc_buffer *out,
                         tpc_buffer *err) {
    return codec ? tpc_codec_decode(codec, in, len, out, err) : tpc_decode(in, len, out, err);
}

/* The default codec for the advanced tier, which takes a configured codec only: a codec built
   with no options is the default codec. */
static tpc_codec *default_codec;

/*
 * Decodes into caller memory with the README's loop (ask, allocate, retry while the status is
 * TPC_ERR_BUFFER_TOO_SMALL; the header promises at most two retries). The sizes the
 * library asks for are checked before allocating: a caller following the README allocates
 * whatever it is told, so a size beyond what the call may produce (max_total decoded bytes,
 * plus the batch's framing and payloads passed through, both bounded by a few times the
 * input) would be the library handing its unbounded allocation to the caller.
 */
static tpc_status decode_into(const tpc_codec *codec, size_t max_total, const uint8_t *in, size_t len,
                              uint8_t **dst_out, size_t *n_out, tpc_buffer *err, const char *what) {
    uint8_t *dst = NULL;
    size_t cap = 0, n = 0;
    int round;
    tpc_status st = TPC_OK;
    if (!codec) codec = default_codec;
    for (round = 0; round < 3; round++) {
        st = tpc_codec_decode_into(codec, in, len, dst, cap, &n, err);
        if (st != TPC_ERR_BUFFER_TOO_SMALL) break;
        tpc_buffer_free(err); /* the message of a status the loop handles */
        if (n > max_total + 6 * len) {
            fail("%s: decode_into asked for a buffer of %zu bytes", what, n);
            st = TPC_ERR_INTERNAL;
            break;
        }
        free(dst);
        cap = n;
        dst = calloc(cap ? cap : 1, 1);
        if (!dst) {
            fail("%s: calloc of the size decode_into asked for failed", what);
            st = TPC_ERR_INTERNAL;
            break;
        }
    }
    if (st == TPC_ERR_BUFFER_TOO_SMALL || (st == TPC_OK && n > cap)) {
        fail("%s: the decoded size did not settle within two retries", what);
        st = TPC_ERR_INTERNAL;
    }
    if (st != TPC_OK) {
        free(dst);
        dst = NULL;
    }
    *dst_out = dst;
    *n_out = n;
    return st;
}

static uint8_t *put_varint(uint8_t *p, size_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A Payloads of `count` json/plain payloads whose data is `size` times the letter 'a' + i. */
static uint8_t *plain_batch(int count, size_t size, size_t *len) {
    static const char entry[] = "\x0a\x16\x0a\x08" "encoding" "\x12\x0a" "json/plain";
    size_t entry_len = sizeof entry - 1, payload_len = entry_len + 1 + 10 + size;
    uint8_t *out = malloc((size_t)count * (1 + 10 + payload_len)), *p = out;
    int i;
    if (!out) return NULL;
    for (i = 0; i < count; i++) {
        size_t inner = entry_len + 1 + (size < 0x80 ? 1 : size < 0x4000 ? 2 : 3) + size;
        *p++ = 0x0a;
        p = put_varint(p, inner);
        memcpy(p, entry, entry_len);
        p += entry_len;
        *p++ = 0x12;
        p = put_varint(p, size);
        memset(p, 'a' + i % 26, size);
        p += size;
    }
    *len = (size_t)(p - out);
    return out;
}

static void expect_same(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
                        size_t want_len) {
    checks++;
    if (got_len != want_len || memcmp(got, want, want_len) != 0) fail("%s: not the input back", what);
}

/* Encodes and decodes a normal batch, through both decode entry points. */
static void round_trip(const tpc_codec *codec, const char *name) {
    size_t len = 0, n = 0;
    uint8_t *plain = plain_batch(3, 5000, &len), *into = NULL;
    tpc_buffer encoded = {NULL, 0}, decoded = {NULL, 0}, err = {NULL, 0};
    tpc_status st;
    char what[128];
    snprintf(what, sizeof what, "round trip after the hostile batches, %s codec", name);
    checks++;
    if (!plain) {
        fail("%s: out of memory", what);
        return;
    }
    st = codec ? tpc_codec_encode(codec, plain, len, &encoded, &err) : tpc_encode(plain, len, &encoded, &err);
    if (st != TPC_OK) {
        fail("%s: encode: %s: %s", what, tpc_status_str(st), message(&err));
    } else if ((st = decode(codec, encoded.data, encoded.len, &decoded, &err)) != TPC_OK) {
        fail("%s: decode: %s: %s", what, tpc_status_str(st), message(&err));
    } else {
        expect_same(what, decoded.data, decoded.len, plain, len);
        st = decode_into(codec, DEFAULT_MAX_TOTAL, encoded.data, encoded.len, &into, &n, &err, what);
        if (st != TPC_OK) {
            fail("%s: decode_into: %s: %s", what, tpc_status_str(st), message(&err));
        } else {
            expect_same(what, into, n, plain, len);
        }
    }
    tpc_buffer_free(&err);
    tpc_buffer_free(&encoded);
    tpc_buffer_free(&decoded);
    free(into);
    free(plain);
}

static tpc_codec *build(size_t max_total, int with_key) {
    static const uint8_t key[32] = {7, 8, 9};
    tpc_codec_builder *b = tpc_codec_builder_new();
    tpc_codec *codec = NULL;
    tpc_buffer err = {NULL, 0};
    tpc_status st;
    if (with_key) {
        /* The setters' statuses are reported by the build (a failed setter poisons it). */
        (void)tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB);
        (void)tpc_codec_builder_add_key(b, (const uint8_t *)"k", 1, key, sizeof key);
        (void)tpc_codec_builder_set_encryption_key_id(b, (const uint8_t *)"k", 1);
    }
    if (max_total) (void)tpc_codec_builder_set_max_total_decoded_size(b, max_total);
    checks++;
    if ((st = tpc_codec_build(b, &codec, &err)) != TPC_OK) {
        fail("building a codec: %s: %s", tpc_status_str(st), message(&err));
        tpc_buffer_free(&err);
        return NULL;
    }
    return codec;
}

static void hostile(const tpc_codec *codec, const char *codec_name, const char *status_name,
                    const char *fragment, const char *path) {
    tpc_status want = status_named(status_name);
    size_t len = 0, n = 0;
    uint8_t *in = read_file(path, &len), *into = NULL;
    tpc_buffer out = {NULL, 0}, err = {NULL, 0};
    tpc_status st;
    char what[512];
    checks++;
    if (want == TPC_OK) {
        fail("unknown status %s for %s", status_name, path);
        free(in);
        return;
    }
    if (!in) {
        fail("cannot read %s", path);
        return;
    }
    snprintf(what, sizeof what, "%s, %s codec, decode", path, codec_name);
    st = decode(codec, in, len, &out, &err);
    if (out.data || out.len) fail("%s: output written on failure", what);
    tpc_buffer_free(&out);
    expect_error(what, st, want, &err, fragment);

    snprintf(what, sizeof what, "%s, %s codec, decode_into", path, codec_name);
    st = decode_into(codec, DEFAULT_MAX_TOTAL, in, len, &into, &n, &err, what);
    free(into);
    expect_error(what, st, want, &err, fragment);
    free(in);
}

/* The per-call cap: a normal two-payload batch stops at the payload crossing it. */
static void max_total(void) {
    size_t len = 0, n = 0;
    /* About 720 decoded bytes each: the first fits in 1000, the second crosses. */
    uint8_t *plain = plain_batch(2, 700, &len), *into = NULL;
    tpc_buffer encoded = {NULL, 0}, decoded = {NULL, 0}, err = {NULL, 0};
    tpc_codec *tiny = build(1000, 0), *tiny_keyed = build(1000, 1), *roomy = build(4000, 0);
    tpc_codec_builder *b;
    tpc_status st;

    checks++;
    if (!plain || !tiny || !tiny_keyed || !roomy) {
        fail("max total: setup failed");
        goto done;
    }
    if ((st = tpc_encode(plain, len, &encoded, &err)) != TPC_OK) {
        fail("max total: encode: %s: %s", tpc_status_str(st), message(&err));
        goto done;
    }
    st = tpc_codec_decode(tiny, encoded.data, encoded.len, &decoded, &err);
    expect_error("max total 1000, decode", st, TPC_ERR_LIMIT_EXCEEDED, &err, "payload 1:");
    st = decode_into(tiny, 1000, encoded.data, encoded.len, &into, &n, &err, "max total 1000, decode_into");
    expect_error("max total 1000, decode_into", st, TPC_ERR_LIMIT_EXCEEDED, &err, "payload 1:");
    free(into);
    into = NULL;
    if ((st = tpc_codec_decode(roomy, encoded.data, encoded.len, &decoded, &err)) != TPC_OK) {
        fail("max total 4000 (room for both): %s: %s", tpc_status_str(st), message(&err));
    } else {
        expect_same("max total 4000 (room for both)", decoded.data, decoded.len, plain, len);
    }
    tpc_buffer_free(&decoded);
    tpc_buffer_free(&encoded);

    /* Through the encrypted layer, whose output counts too. */
    if ((st = tpc_codec_encode(tiny_keyed, plain, len, &encoded, &err)) != TPC_OK) {
        fail("max total: encode with a key: %s: %s", tpc_status_str(st), message(&err));
        goto done;
    }
    st = tpc_codec_decode(tiny_keyed, encoded.data, encoded.len, &decoded, &err);
    expect_error("max total 1000 with a key, decode", st, TPC_ERR_LIMIT_EXCEEDED, &err, "payload 1:");

    /* 0 is refused by the setter, and the build names it. */
    b = tpc_codec_builder_new();
    st = tpc_codec_builder_set_max_total_decoded_size(b, 0);
    expect_error("max total 0, setter", st, TPC_ERR_INVALID_ARGUMENT, &err, "");
    {
        tpc_codec *none = NULL;
        st = tpc_codec_build(b, &none, &err);
        checks++;
        if (none) fail("max total 0: built a codec");
        tpc_codec_free(none);
        expect_error("max total 0, build", st, TPC_ERR_INVALID_ARGUMENT, &err, "max total decoded size");
    }
    st = tpc_codec_builder_set_max_total_decoded_size(NULL, 1000);
    expect_error("max total on a NULL builder", st, TPC_ERR_NULL_ARGUMENT, &err, "");

done:
    tpc_buffer_free(&err);
    tpc_buffer_free(&encoded);
    tpc_buffer_free(&decoded);
    tpc_codec_free(tiny);
    tpc_codec_free(tiny_keyed);
    tpc_codec_free(roomy);
    free(plain);
}

int main(int argc, char **argv) {
    tpc_codec *keyed;
    int i;
    if (argc < 4 || (argc - 1) % 3 != 0) {
        fprintf(stderr, "usage: %s STATUS FRAGMENT FILE [STATUS FRAGMENT FILE]...\n", argv[0]);
        return 2;
    }
    /* A key makes the encrypted layer live; zlib makes what it encodes with differ too. */
    keyed = build(0, 1);
    default_codec = build(0, 0);
    if (!keyed || !default_codec) return 1;
    for (i = 1; i + 2 < argc; i += 3) {
        hostile(NULL, "default", argv[i], argv[i + 1], argv[i + 2]);
        hostile(keyed, "zlib+aes", argv[i], argv[i + 1], argv[i + 2]);
    }
    /* The process lives: it goes on encoding and decoding. */
    round_trip(NULL, "default");
    round_trip(keyed, "zlib+aes");
    tpc_codec_free(keyed);
    tpc_codec_free(default_codec);
    max_total();
    printf("process_lives: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
