//! Generates the C header with cbindgen into OUT_DIR on every build. The committed copy in
//! include/ is only rewritten on request (`TPC_UPDATE_HEADER=1`), and a test fails when the
//! two differ, so a stale header cannot land and a plain build never edits the source tree.

use std::env;
use std::path::PathBuf;

/// Equal to `TPC_ABI_VERSION` in src/status.rs (a test in tests/ffi.rs checks it).
const ABI_VERSION: u32 = 2;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("temporal_payload_codec.h");
    // The SONAME carries the ABI version (src/status.rs, TPC_ABI_VERSION): a program linked
    // against ABI 2 asks the loader for libtemporal_payload_codec.so.2, so a library of another
    // ABI is never picked up by mistake. Bump both together.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtemporal_payload_codec.so.{ABI_VERSION}");
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=TPC_UPDATE_HEADER");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // The modules in the header's order, which is the order of the tiers (src/lib.rs).
    let mut builder = cbindgen::Builder::new().with_config(config);
    for module in ["simple", "builder", "codec", "workspace", "buffer", "status"] {
        builder = builder.with_src(crate_dir.join(format!("src/{module}.rs")));
    }
    let bindings = builder
        .generate()
        .expect("cbindgen could not generate the header");
    bindings.write_to_file(&out);
    if env::var_os("TPC_UPDATE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include/temporal_payload_codec.h"));
    }
}
