/*
 * Decodes the bytes Temporal's Go encryption sample writes (tests/vectors/go-sample-encryption.json,
 * unpacked by scripts/test-c.sh) through the C ABI: the sample's key under the empty key id,
 * which the sample's codec server writes. Usage: go_sample KEY_HEX ENCODED PLAIN [ENCODED PLAIN]...
 * Exit 0 when every ENCODED decodes to exactly PLAIN, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "temporal_payload_codec.h"

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long size;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size + 1);
        if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
            free(data);
            data = NULL;
        }
        *len = (size_t)size;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    uint8_t key[32];
    tpc_codec_builder *b;
    tpc_codec *codec = NULL;
    tpc_buffer out = {NULL, 0}, err = {NULL, 0};
    tpc_status st;
    int i, failed = 0;
    if (argc < 4 || argc % 2 != 0 || strlen(argv[1]) != 64) {
        fprintf(stderr, "usage: go_sample KEY_HEX ENCODED PLAIN [ENCODED PLAIN]...\n");
        return 2;
    }
    for (i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(argv[1] + 2 * i, "%2x", &byte) != 1) return 2;
        key[i] = (uint8_t)byte;
    }
    b = tpc_codec_builder_new();
    /* The empty key id: (NULL, 0). */
    (void)tpc_codec_builder_add_key(b, NULL, 0, key, sizeof key);
    if ((st = tpc_codec_build(b, &codec, &err)) != TPC_OK) {
        fprintf(stderr, "build: %s: %.*s\n", tpc_status_str(st), (int)err.len, (const char *)err.data);
        tpc_buffer_free(&err);
        return 1;
    }
    for (i = 2; i + 1 < argc; i += 2) {
        size_t enc_len = 0, plain_len = 0;
        unsigned char *enc = slurp(argv[i], &enc_len), *plain = slurp(argv[i + 1], &plain_len);
        if (!enc || !plain) {
            fprintf(stderr, "cannot read %s or %s\n", argv[i], argv[i + 1]);
            failed = 1;
        } else if ((st = tpc_codec_decode(codec, enc, enc_len, &out, &err)) != TPC_OK) {
            fprintf(stderr, "%s: %s: %.*s\n", argv[i], tpc_status_str(st), (int)err.len, (const char *)err.data);
            tpc_buffer_free(&err);
            failed = 1;
        } else if (out.len != plain_len || memcmp(out.data, plain, plain_len) != 0) {
            fprintf(stderr, "%s: decoded %zu bytes, not the %zu plain ones\n", argv[i], out.len, plain_len);
            failed = 1;
        } else {
            printf("%s: decoded to exactly the plain payloads (%zu bytes)\n", argv[i], plain_len);
        }
        tpc_buffer_free(&out);
        free(enc);
        free(plain);
    }
    tpc_codec_free(codec);
    return failed;
}
