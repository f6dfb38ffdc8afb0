// Compiled by scripts/test-c.sh: the header must be usable from C++ as it is.
#include "temporal_payload_codec.h"

#include <cstdio>

int main() {
    tpc_buffer out = {nullptr, 0};
    tpc_status status = tpc_encode(nullptr, 0, &out, nullptr);
    std::printf("C++: %s, %s\n", tpc_version(), tpc_status_str(status));
    tpc_buffer_free(&out);
    return status == TPC_OK && tpc_abi_version() == TPC_ABI_VERSION ? 0 : 1;
}
