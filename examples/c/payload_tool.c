/*
 * payload_tool: the codec from C, using nothing but include/temporal_payload_codec.h.
 *
 *   payload_tool                      round trip of a built-in sample, with a readable summary
 *   payload_tool roundtrip FILE       the same for a serialized Payloads file ("-" = stdin)
 *   payload_tool show FILE            decode FILE and print each payload's encoding and data
 *   payload_tool encode FILE          write the encoded Payloads bytes to stdout
 *   payload_tool decode FILE          write the decoded Payloads bytes to stdout
 *
 * Environment: TPC_COMPRESSION = none | snappy (default) | snappy-raw | zlib;
 * TPC_KEY_HEX = 64 hex digits (a 32-byte key) with TPC_KEY_ID (default "demo-key") adds the
 * key, and encrypts with it.
 * Exit status: 0 on success, 2 for usage errors, 3 for codec errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal_payload_codec.h"

/* Prints a failed call's status and message, then releases the message. */
static int report(const char *what, tpc_status status, tpc_buffer *err) {
    fprintf(stderr, "%s failed: %s (%u): %.*s\n", what, tpc_status_str(status), (unsigned)status,
            (int)err->len, err->data ? (const char *)err->data : "");
    tpc_buffer_free(err);
    return 3;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Builds the codec the environment asks for. */
static int build_codec(tpc_codec **codec) {
    tpc_codec_builder *b = tpc_codec_builder_new();
    const char *compression = getenv("TPC_COMPRESSION");
    const char *key_hex = getenv("TPC_KEY_HEX");
    const char *key_id = getenv("TPC_KEY_ID");
    tpc_buffer err = {NULL, 0};
    tpc_status status;

    if (compression) {
        uint32_t algorithm = 99; /* unknown names reach the library, which explains the error */
        if (strcmp(compression, "none") == 0) algorithm = TPC_COMPRESSION_NONE;
        if (strcmp(compression, "snappy") == 0) algorithm = TPC_COMPRESSION_SNAPPY;
        if (strcmp(compression, "snappy-raw") == 0) algorithm = TPC_COMPRESSION_SNAPPY_RAW;
        if (strcmp(compression, "zlib") == 0) algorithm = TPC_COMPRESSION_ZLIB;
        /* A failed setter poisons the builder; tpc_codec_build reports it with a message. */
        (void)tpc_codec_builder_set_compression(b, algorithm);
    }
    if (key_hex && *key_hex) { /* empty means unset, as in every language's tool */
        uint8_t key[32];
        size_t i;
        if (strlen(key_hex) != 2 * sizeof key) {
            fprintf(stderr, "TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)\n");
            tpc_codec_builder_free(b);
            return 2;
        }
        for (i = 0; i < sizeof key; i++) {
            int hi = hex_digit(key_hex[2 * i]), lo = hex_digit(key_hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "TPC_KEY_HEX must be hexadecimal\n");
                tpc_codec_builder_free(b);
                return 2;
            }
            key[i] = (uint8_t)(hi * 16 + lo);
        }
        if (!key_id || !*key_id) key_id = "demo-key"; /* empty means unset, as in every tool */
        (void)tpc_codec_builder_add_key(b, (const uint8_t *)key_id, strlen(key_id), key, sizeof key);
        (void)tpc_codec_builder_set_encryption_key_id(b, (const uint8_t *)key_id, strlen(key_id));
        memset(key, 0, sizeof key);
    }
    status = tpc_codec_build(b, codec, &err); /* consumes b, also on failure */
    return status == TPC_OK ? 0 : report("building the codec", status, &err);
}

static int read_all(const char *path, uint8_t **data, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 1 << 16, n;
    if (!f) {
        perror(path);
        return 2;
    }
    *data = malloc(cap);
    *len = 0;
    while (*data && (n = fread(*data + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) {
            uint8_t *bigger = realloc(*data, cap *= 2);
            if (!bigger) free(*data);
            *data = bigger;
        }
    }
    if (f != stdin) fclose(f);
    if (!*data) {
        fprintf(stderr, "out of memory reading %s\n", path);
        return 2;
    }
    return 0;
}

/* Minimal protobuf reading, enough to print a summary: a varint, and a length-delimited field. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    int shift = 0;
    *v = 0;
    while (*p < end && shift < 64) {
        uint8_t byte = *(*p)++;
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return 1;
        shift += 7;
    }
    return 0;
}

/* Calls visit(field, bytes, len) for each length-delimited field of a message. */
typedef void (*field_fn)(void *ctx, uint64_t field, const uint8_t *bytes, size_t len);
static int each_field(const uint8_t *p, size_t len, field_fn visit, void *ctx) {
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key, n;
        if (!varint(&p, end, &key)) return 0;
        switch (key & 7) {
        case 0: if (!varint(&p, end, &n)) return 0; break;
        case 1: if (end - p < 8) return 0; p += 8; break;
        case 5: if (end - p < 4) return 0; p += 4; break;
        case 2:
            if (!varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
            visit(ctx, key >> 3, p, (size_t)n);
            p += n;
            break;
        default: return 0;
        }
    }
    return 1;
}

struct summary { const uint8_t *encoding, *data; size_t encoding_len, data_len, metadata; };

static void entry_field(void *ctx, uint64_t field, const uint8_t *bytes, size_t len) {
    const uint8_t **kv = ctx;
    if (field == 1 || field == 2) { kv[2 * (field - 1)] = bytes; kv[2 * (field - 1) + 1] = (const uint8_t *)len; }
}

static void payload_field(void *ctx, uint64_t field, const uint8_t *bytes, size_t len) {
    struct summary *s = ctx;
    if (field == 1) {
        const uint8_t *kv[4] = {NULL, NULL, NULL, NULL};
        s->metadata++;
        if (each_field(bytes, len, entry_field, kv) && (size_t)kv[1] == 8 && memcmp(kv[0], "encoding", 8) == 0) {
            s->encoding = kv[2];
            s->encoding_len = (size_t)kv[3];
        }
    } else if (field == 2) {
        s->data = bytes;
        s->data_len = len;
    }
}

struct listing { int index; int show_data; };

static void print_payload(void *ctx, uint64_t field, const uint8_t *bytes, size_t len) {
    struct listing *l = ctx;
    struct summary s = {NULL, NULL, 0, 0, 0};
    if (field != 1) return;
    each_field(bytes, len, payload_field, &s);
    printf("  payload %d: %zu bytes, encoding=%.*s, %zu metadata entries, %zu data bytes", l->index++, len,
           (int)s.encoding_len, s.encoding ? (const char *)s.encoding : "(none)", s.metadata, s.data_len);
    if (l->show_data) printf(", data=%.*s", (int)(s.data_len > 200 ? 200 : s.data_len), (const char *)s.data);
    printf("\n");
}

static void print_payloads(const char *title, const uint8_t *bytes, size_t len, int show_data) {
    struct listing l = {0, show_data};
    printf("%s (%zu bytes):\n", title, len);
    each_field(bytes, len, print_payload, &l);
}

/* A Payloads of three payloads: JSON, the SDK's null, and a repetitive JSON document. */
static uint8_t *sample(size_t *len) {
    static const char json[] = "\x0a\x16\x0a\x08" "encoding" "\x12\x0a" "json/plain" "\x12\x11" "{\"hello\":\"world\"}";
    static const char null_payload[] = "\x0a\x17\x0a\x08" "encoding" "\x12\x0b" "binary/null";
    size_t json_len = sizeof json - 1, null_len = sizeof null_payload - 1, big_data = 1000, i;
    size_t big_len = 24 + 3 + big_data;
    uint8_t *out = malloc(2 + json_len + 2 + null_len + 3 + big_len), *p = out;
    if (!out) return NULL;
    *p++ = 0x0a; *p++ = (uint8_t)json_len; memcpy(p, json, json_len); p += json_len;
    *p++ = 0x0a; *p++ = (uint8_t)null_len; memcpy(p, null_payload, null_len); p += null_len;
    *p++ = 0x0a; *p++ = (uint8_t)(0x80 | (big_len & 0x7f)); *p++ = (uint8_t)(big_len >> 7);
    memcpy(p, json, 24); p += 24; /* the json/plain metadata entry */
    *p++ = 0x12; *p++ = (uint8_t)(0x80 | (big_data & 0x7f)); *p++ = (uint8_t)(big_data >> 7);
    for (i = 0; i < big_data; i++) *p++ = "[1,2,3,4],"[i % 10];
    *len = (size_t)(p - out);
    return out;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "roundtrip";
    tpc_codec *codec = NULL;
    tpc_buffer encoded = {NULL, 0}, decoded = {NULL, 0}, err = {NULL, 0};
    uint8_t *input = NULL;
    size_t len = 0;
    int rc;

    if (tpc_abi_version() != TPC_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %u: rebuild against the matching header\n",
                tpc_abi_version(), (unsigned)TPC_ABI_VERSION);
        return 2;
    }
    if (argc > 2) {
        if ((rc = read_all(argv[2], &input, &len)) != 0) return rc;
    } else if (strcmp(mode, "roundtrip") == 0) {
        input = sample(&len);
    } else {
        fprintf(stderr, "usage: %s [roundtrip|show|encode|decode] [FILE|-]\n", argv[0]);
        return 2;
    }
    if ((rc = build_codec(&codec)) != 0) {
        free(input);
        return rc;
    }

    if (strcmp(mode, "encode") == 0 || strcmp(mode, "decode") == 0 || strcmp(mode, "show") == 0) {
        int encode = strcmp(mode, "encode") == 0;
        tpc_status status = encode ? tpc_codec_encode(codec, input, len, &encoded, &err)
                                   : tpc_codec_decode(codec, input, len, &encoded, &err);
        if (status != TPC_OK) {
            rc = report(encode ? "encode" : "decode", status, &err);
        } else if (strcmp(mode, "show") == 0) {
            print_payloads("decoded", encoded.data, encoded.len, 1);
        } else {
            fwrite(encoded.data, 1, encoded.len, stdout);
        }
    } else if (strcmp(mode, "roundtrip") == 0) {
        tpc_status status = tpc_codec_encode(codec, input, len, &encoded, &err);
        if (status != TPC_OK) {
            rc = report("encode", status, &err);
        } else if ((status = tpc_codec_decode(codec, encoded.data, encoded.len, &decoded, &err)) != TPC_OK) {
            rc = report("decode", status, &err);
        } else {
            printf("temporal-payload-codec %s (ABI %u)\n", tpc_version(), tpc_abi_version());
            print_payloads("input", input, len, 0);
            print_payloads("encoded", encoded.data, encoded.len, 0);
            if (decoded.len != len || memcmp(decoded.data, input, len) != 0) {
                fprintf(stderr, "round trip changed the payloads\n");
                rc = 3;
            } else {
                printf("decoded: identical to the input\n");
            }
            /* Encoding in a loop: a workspace keeps its output memory from call to call. The
               result is a view into it (not freed by us), valid until the workspace's next use. */
            tpc_workspace *ws = tpc_workspace_new();
            tpc_slice again = {NULL, 0};
            for (int i = 0; i < 3 && status == TPC_OK; i++) {
                status = tpc_workspace_encode(ws, codec, input, len, &again, &err);
            }
            if (status != TPC_OK) {
                rc = report("encode with a workspace", status, &err);
            } else if (again.len != encoded.len ||
                       (getenv("TPC_KEY_HEX") == NULL && memcmp(again.data, encoded.data, again.len) != 0)) {
                /* Encryption draws fresh nonces, so only the length must match then. */
                fprintf(stderr, "encoding through a workspace gave other bytes\n");
                rc = 3;
            } else {
                printf("encoded through a workspace: the same %zu bytes\n", again.len);
            }
            tpc_workspace_free(ws);
            /* What bad input looks like: a clear status and message, nothing else. */
            status = tpc_codec_decode(codec, (const uint8_t *)"\x0a\x05\x12", 3, &decoded, &err);
            printf("decoding a truncated Payloads: %s: %.*s\n", tpc_status_str(status), (int)err.len,
                   (const char *)err.data);
            tpc_buffer_free(&err);
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        rc = 2;
    }
    tpc_buffer_free(&encoded);
    tpc_buffer_free(&decoded);
    tpc_buffer_free(&decoded); /* harmless: freeing zeroes the buffer */
    tpc_codec_free(codec);
    free(input);
    return rc;
}
