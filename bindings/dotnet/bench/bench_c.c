/*
 * The same calls as Bench.cs, made from C: tpc_codec_encode / tpc_codec_decode with a codec
 * built with no options (what TpcCodec.Default is) of each batch file, with tpc_buffer_free
 * after each call, as a C caller pays.
 *
 *   bench_c DIR SECONDS   prints "op batch microseconds-per-call" lines
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "temporal_payload_codec.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef tpc_status (*call_fn)(const tpc_codec *, const uint8_t *, size_t, tpc_buffer *, tpc_buffer *);

static double time_call(call_fn fn, const tpc_codec *codec, const uint8_t *in, size_t len, double seconds) {
    tpc_buffer out = {NULL, 0}, err = {NULL, 0};
    double start = now();
    long calls = 0;
    while (now() - start < seconds / 5) {
        if (fn(codec, in, len, &out, &err) != TPC_OK) { fprintf(stderr, "call failed\n"); exit(1); }
        tpc_buffer_free(&out);
    }
    start = now();
    while (now() - start < seconds) {
        for (int i = 0; i < 16; i++) {
            if (fn(codec, in, len, &out, &err) != TPC_OK) { fprintf(stderr, "call failed\n"); exit(1); }
            tpc_buffer_free(&out);
        }
        calls += 16;
    }
    return (now() - start) * 1e6 / (double)calls;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *data;
    long n;
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fclose(f);
    *len = (size_t)n;
    return data;
}

int main(int argc, char **argv) {
    static const char *batches[] = {"100x200", "16x4096", "4x65536", "1x1048576"};
    double seconds;
    tpc_codec *codec = NULL;
    if (argc != 3) { fprintf(stderr, "usage: %s DIR SECONDS\n", argv[0]); return 2; }
    seconds = atof(argv[2]);
    if (tpc_codec_build(tpc_codec_builder_new(), &codec, NULL) != TPC_OK) { fprintf(stderr, "build failed\n"); return 1; }
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
        char path[4096];
        size_t len;
        uint8_t *plain;
        tpc_buffer encoded = {NULL, 0}, err = {NULL, 0};
        snprintf(path, sizeof path, "%s/batch-%s.bin", argv[1], batches[i]);
        plain = read_file(path, &len);
        if (tpc_codec_encode(codec, plain, len, &encoded, &err) != TPC_OK) { fprintf(stderr, "encode failed\n"); return 1; }
        printf("encode %s %.2f\n", batches[i], time_call(tpc_codec_encode, codec, plain, len, seconds));
        printf("decode %s %.2f\n", batches[i], time_call(tpc_codec_decode, codec, encoded.data, encoded.len, seconds));
        fflush(stdout);
        tpc_buffer_free(&encoded);
        free(plain);
    }
    tpc_codec_free(codec);
    return 0;
}
