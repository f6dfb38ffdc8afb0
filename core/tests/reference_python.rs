//! The reference codec itself is the oracle: tests/oracle/reference_codec.py is the Python codec
//! from the reference document (temporalio + cramjam), run on payload shapes built by the real
//! temporalio converter. Our encode must be byte-identical, and each side decodes the other's.

mod common;

use common::{b64, run_json, unb64};
use serde_json::json;
use temporal_payload_codec_core::Codec;

#[test]
fn byte_identical_to_the_reference_codec_both_directions() {
    let cases: Vec<Vec<u8>> = run_json("tests/oracle/oracle.py", &["cases"], "")
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(unb64)
        .collect();
    assert!(
        cases.len() >= 10,
        "expected many payload shapes, got {}",
        cases.len()
    );
    let codec = Codec::default();
    let ours: Vec<Vec<u8>> = cases.iter().map(|c| codec.encode(c).unwrap()).collect();
    let request = json!({
        "encode": cases.iter().map(|c| b64(c)).collect::<Vec<_>>(),
        "decode": ours.iter().map(|c| b64(c)).collect::<Vec<_>>(),
        "expect": cases.iter().map(|c| b64(c)).collect::<Vec<_>>(),
    });
    let reference = run_json("tests/oracle/oracle.py", &[], &request.to_string());
    let ref_encoded = reference["encode"].as_array().unwrap();
    let ref_from = reference["encoded_from"].as_array().unwrap();
    let ref_decoded = reference["decode"].as_array().unwrap();
    let ref_matches = reference["decode_matches"].as_array().unwrap();
    assert_eq!(ref_encoded.len(), cases.len());
    let mut reordered = 0;
    for (i, case) in cases.iter().enumerate() {
        let theirs = unb64(&ref_encoded[i]);
        // The reference re-serializes what it parsed, and upb may reorder a metadata map
        // (see oracle.py): compare on the very bytes it compressed.
        let from = unb64(&ref_from[i]);
        assert_eq!(
            from.len(),
            case.len(),
            "case {i}: the reference changed the payload bytes"
        );
        if from != *case {
            reordered += 1;
        }
        assert!(
            codec.encode(&from).unwrap() == theirs,
            "case {i}: our encoding differs from the reference's"
        );
        // Byte equality unless upb reordered a metadata map; then message equality.
        assert!(
            unb64(&ref_decoded[i]) == *case || ref_matches[i].as_bool() == Some(true),
            "case {i}: the reference did not decode ours"
        );
        assert!(
            codec.decode(&theirs).unwrap() == from,
            "case {i}: we did not decode the reference's"
        );
    }
    assert!(
        reordered < cases.len() / 2,
        "the reference reordered {reordered} of {} cases: the comparison lost its meaning",
        cases.len()
    );
}
