//! Writes the benchmark batches that every language's benchmark reads, so all of them time
//! the very same bytes: serialized `Payloads` of JSON-like text.
//!
//! Usage: cargo run --release --example bench_data -- OUT_DIR
//! Writes OUT_DIR/batch-100x200.bin, batch-16x4096.bin, batch-4x65536.bin, batch-1x1048576.bin.

use std::io::Write;

/// (payload count, serialized size of each payload).
pub const BATCHES: [(usize, usize); 4] = [(100, 200), (16, 4096), (4, 65536), (1, 1 << 20)];

/// A `json/plain` payload of exactly `size` serialized bytes holding order-like JSON records,
/// varied by a small deterministic generator so snappy has realistic work to do.
pub fn payload(seed: u64, size: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let header: &[u8] = b"\x0a\x16\x0a\x08encoding\x12\x0ajson/plain";
    // The data field's own tag and length take 1 + varint bytes.
    let varint_len = |n: usize| {
        if n < 128 {
            1
        } else if n < 16384 {
            2
        } else if n < 2097152 {
            3
        } else {
            4
        }
    };
    let mut data_len = size - header.len() - 2;
    while header.len() + 1 + varint_len(data_len) + data_len > size {
        data_len -= 1;
    }
    let mut json = String::from("[");
    while json.len() < data_len {
        let n = next();
        json.push_str(&format!(
            "{{\"orderId\":\"ord-{:08}\",\"customer\":\"customer-{}\",\"sku\":\"SKU-{:05}\",\"qty\":{},\"price\":{}.{:02},\"status\":\"{}\"}},",
            n % 100_000_000,
            n % 977,
            n % 4096,
            n % 9 + 1,
            n % 500,
            n % 100,
            ["PENDING", "PAID", "SHIPPED", "DELIVERED"][(n % 4) as usize]
        ));
    }
    json.truncate(data_len);
    let mut out = header.to_vec();
    out.push(0x12);
    prost::encoding::encode_varint(data_len as u64, &mut out);
    out.extend_from_slice(json.as_bytes());
    assert_eq!(out.len(), size);
    out
}

/// A serialized `Payloads` of `count` payloads of `size` bytes.
pub fn batch(count: usize, size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..count {
        let p = payload(i as u64 + size as u64, size);
        out.push(0x0a);
        prost::encoding::encode_varint(p.len() as u64, &mut out);
        out.extend_from_slice(&p);
    }
    out
}

/// The serialized payloads of a serialized `Payloads` (every field is field 1, as `batch` and
/// the library write them).
pub fn split(batch: &[u8]) -> Vec<Vec<u8>> {
    let mut rest = batch;
    let mut out = Vec::new();
    while !rest.is_empty() {
        rest = &rest[1..];
        let len = prost::encoding::decode_varint(&mut rest).unwrap() as usize;
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    out
}

/// The `data` field of a serialized `Payload` (its metadata entries skipped).
pub fn data_of(payload: &[u8]) -> &[u8] {
    let mut rest = payload;
    while !rest.is_empty() {
        let key = prost::encoding::decode_varint(&mut rest).unwrap();
        assert_eq!(key & 7, 2, "a Payload's fields are length-delimited");
        let len = prost::encoding::decode_varint(&mut rest).unwrap() as usize;
        let (value, tail) = rest.split_at(len);
        if key >> 3 == 2 {
            return value;
        }
        rest = tail;
    }
    &[]
}

#[allow(dead_code)]
fn main() {
    let dir = std::env::args().nth(1).expect("usage: bench_data OUT_DIR");
    std::fs::create_dir_all(&dir).unwrap();
    for (count, size) in BATCHES {
        let path = format!("{dir}/batch-{count}x{size}.bin");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&batch(count, size))
            .unwrap();
        println!("{path}");
    }
}
