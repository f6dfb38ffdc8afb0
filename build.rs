//! Generates the C header with cbindgen into OUT_DIR on every build. The committed copy in
//! include/ is only rewritten on request (`TPC_UPDATE_HEADER=1`), and a test fails when the
//! two differ, so a stale header cannot land and a plain build never edits the source tree.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("temporal_payload_codec.h");
    println!("cargo:rerun-if-changed=src/ffi.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=TPC_UPDATE_HEADER");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    bindings.write_to_file(&out);
    if env::var_os("TPC_UPDATE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include/temporal_payload_codec.h"));
    }
}
