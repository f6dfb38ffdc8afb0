/*
 * roundtrip: what a C user of the release tarball builds first (scripts/test-dist-c.sh builds
 * it against the installed tarball with pkg-config, shared and static, on Debian 11 and under
 * qemu-aarch64). Uses nothing but the installed header and library.
 *
 *   roundtrip VERSION
 *
 * Checks the library's ABI version against the header's and its version against VERSION;
 * encodes the reference codec's sample payload and compares it with the bytes the reference
 * codec wrote (tests/vectors/reference-snappy.json, case "json-object"), decodes those back;
 * round-trips a larger Payloads through a configured codec (zlib, AES-256-GCM); prints where
 * the library was loaded from ("library: PATH" from /proc/self/maps, or "library: linked in").
 * Exit status 0 when everything matched, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal_payload_codec.h>

/* One json/plain payload {"hello":"world"}, as a serialized Payloads. */
static const uint8_t PLAIN[] = {
    0x0a, 0x2b, 0x0a, 0x16, 0x0a, 0x08, 'e', 'n', 'c', 'o', 'd', 'i', 'n', 'g', 0x12, 0x0a,
    'j', 's', 'o', 'n', '/', 'p', 'l', 'a', 'i', 'n', 0x12, 0x11, '{', '"', 'h', 'e', 'l',
    'l', 'o', '"', ':', '"', 'w', 'o', 'r', 'l', 'd', '"', '}'};

/* What the reference codec (snappy framing, binary/snappy) makes of PLAIN. */
static const uint8_t ENCODED[] = {
    0x0a, 0x5a, 0x0a, 0x19, 0x0a, 0x08, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x69, 0x6e, 0x67, 0x12,
    0x0d, 0x62, 0x69, 0x6e, 0x61, 0x72, 0x79, 0x2f, 0x73, 0x6e, 0x61, 0x70, 0x70, 0x79, 0x12,
    0x3d, 0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01, 0x2f, 0x00, 0x00,
    0x9c, 0x4d, 0xa6, 0xee, 0x0a, 0x16, 0x0a, 0x08, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x69, 0x6e,
    0x67, 0x12, 0x0a, 0x6a, 0x73, 0x6f, 0x6e, 0x2f, 0x70, 0x6c, 0x61, 0x69, 0x6e, 0x12, 0x11,
    0x7b, 0x22, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x22, 0x3a, 0x22, 0x77, 0x6f, 0x72, 0x6c, 0x64,
    0x22, 0x7d};

static int failures = 0;

static void fail(const char *what, tpc_status status, tpc_buffer *err) {
    fprintf(stderr, "FAIL %s: %s (%u): %.*s\n", what, tpc_status_str(status), (unsigned)status,
            (int)err->len, err->data ? (const char *)err->data : "");
    tpc_buffer_free(err);
    failures++;
}

static void expect(int ok, const char *what) {
    if (ok) {
        printf("ok   %s\n", what);
    } else {
        fprintf(stderr, "FAIL %s\n", what);
        failures++;
    }
}

static int same(const tpc_buffer *b, const uint8_t *data, size_t len) {
    return b->len == len && (len == 0 || memcmp(b->data, data, len) == 0);
}

/* A Payloads of 40 copies of PLAIN's payload with 2000 bytes of data each. */
static uint8_t *big_payloads(size_t *len) {
    const size_t count = 40, data_len = 2000;
    const size_t meta_len = 24;            /* the json/plain metadata entry of PLAIN, tag included */
    const size_t payload_len = meta_len + 3 + data_len; /* + tag and 2-byte length of data */
    uint8_t *out = malloc(count * (3 + payload_len)), *p = out;
    size_t i, j;
    if (!out) return NULL;
    for (i = 0; i < count; i++) {
        *p++ = 0x0a;
        *p++ = (uint8_t)(0x80 | (payload_len & 0x7f));
        *p++ = (uint8_t)(payload_len >> 7);
        memcpy(p, PLAIN + 2, meta_len);
        p += meta_len;
        *p++ = 0x12;
        *p++ = (uint8_t)(0x80 | (data_len & 0x7f));
        *p++ = (uint8_t)(data_len >> 7);
        for (j = 0; j < data_len; j++) *p++ = (uint8_t)"[1,2,3,4],"[(i + j) % 10];
    }
    *len = (size_t)(p - out);
    return out;
}

static void configured_round_trip(void) {
    static const uint8_t key_id[] = "2026-11";
    uint8_t key[32];
    tpc_codec_builder *b = tpc_codec_builder_new();
    tpc_codec *codec = NULL;
    tpc_buffer encoded = {NULL, 0}, decoded = {NULL, 0}, err = {NULL, 0};
    tpc_status status;
    size_t len = 0, i;
    uint8_t *input = big_payloads(&len);

    for (i = 0; i < sizeof key; i++) key[i] = (uint8_t)(7 * i + 1);
    if (!b || !input) {
        expect(0, "allocating the builder and the input");
        tpc_codec_builder_free(b);
        free(input);
        return;
    }
    (void)tpc_codec_builder_set_compression(b, TPC_COMPRESSION_ZLIB);
    (void)tpc_codec_builder_add_key(b, key_id, sizeof key_id - 1, key, sizeof key);
    (void)tpc_codec_builder_set_encryption_key_id(b, key_id, sizeof key_id - 1);
    status = tpc_codec_build(b, &codec, &err); /* consumes b */
    if (status != TPC_OK) {
        fail("building a zlib + AES-256-GCM codec", status, &err);
        free(input);
        return;
    }
    status = tpc_codec_encode(codec, input, len, &encoded, &err);
    if (status != TPC_OK) {
        fail("encoding with zlib + AES-256-GCM", status, &err);
    } else {
        expect(encoded.len > 0 && !same(&encoded, input, len), "zlib + AES-256-GCM encode changes the bytes");
        status = tpc_codec_decode(codec, encoded.data, encoded.len, &decoded, &err);
        if (status != TPC_OK) {
            fail("decoding zlib + AES-256-GCM", status, &err);
        } else {
            expect(same(&decoded, input, len), "zlib + AES-256-GCM round trip gives the input back");
            printf("     %zu bytes -> %zu encoded -> %zu decoded\n", len, encoded.len, decoded.len);
        }
    }
    tpc_buffer_free(&encoded);
    tpc_buffer_free(&decoded);
    tpc_codec_free(codec);
    free(input);
}

/* Where the library's code lives: a mapped file named after it, or this executable. */
static void print_library(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    const char *found = NULL;
    if (!maps) {
        expect(0, "reading /proc/self/maps");
        return;
    }
    while (fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "libtemporal_payload_codec")) {
            path[strcspn(path, "\n")] = '\0';
            found = path;
            break;
        }
    }
    printf("library: %s\n", found ? found : "linked in");
    fclose(maps);
}

int main(int argc, char **argv) {
    tpc_buffer out = {NULL, 0}, err = {NULL, 0};
    tpc_status status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s VERSION\n", argv[0]);
        return 2;
    }
    expect(tpc_abi_version() == TPC_ABI_VERSION, "the library's ABI version is the header's");
    expect(strcmp(tpc_version(), argv[1]) == 0, "the library's version is the expected one");
    printf("     version %s, ABI %u\n", tpc_version(), (unsigned)tpc_abi_version());

    status = tpc_encode(PLAIN, sizeof PLAIN, &out, &err);
    if (status != TPC_OK) {
        fail("tpc_encode", status, &err);
    } else {
        expect(same(&out, ENCODED, sizeof ENCODED), "tpc_encode writes the reference codec's bytes");
    }
    tpc_buffer_free(&out);
    status = tpc_decode(ENCODED, sizeof ENCODED, &out, &err);
    if (status != TPC_OK) {
        fail("tpc_decode", status, &err);
    } else {
        expect(same(&out, PLAIN, sizeof PLAIN), "tpc_decode reads the reference codec's bytes");
    }
    tpc_buffer_free(&out);

    configured_round_trip();
    print_library();
    printf("%s\n", failures ? "roundtrip: FAILED" : "roundtrip: all checks passed");
    return failures ? 1 : 0;
}
