"""Starts the cross-language demo's workflow and prints its result as JSON.

    python starter.py --workflow-id ID

Runs "CrossLanguageWorkflow" on task queue "tpc-go" (hosted by the Go worker, examples/go)
with a sample order, every payload encoded by temporal-payload-codec. Environment (the demo
contract): TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
TPC_KEY_HEX / TPC_KEY_ID (snappy then AES-256-GCM when a key is given; snappy only otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys

import temporalio.converter
from temporalio.client import Client

from tpc_env import UsageError, codec_from_env

WORKFLOW_TYPE = "CrossLanguageWorkflow"
TASK_QUEUE = "tpc-go"
ORDER = {"customer": "Ada Lovelace", "items": ["analytical engine", "punch cards"]}


async def run(workflow_id: str) -> dict[str, object]:
    # The demo contract names no compression variable: snappy, plus encryption with a key.
    codec = codec_from_env(compression=False)
    client = await Client.connect(
        os.environ.get("TEMPORAL_ADDRESS") or "127.0.0.1:7233",
        namespace=os.environ.get("TEMPORAL_NAMESPACE") or "default",
        data_converter=dataclasses.replace(temporalio.converter.default(), payload_codec=codec),
    )
    result: dict[str, object] = await client.execute_workflow(
        WORKFLOW_TYPE, ORDER, id=workflow_id, task_queue=TASK_QUEUE, result_type=dict
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workflow-id", default="tpc-demo-python", help="workflow id (default %(default)s)")
    args = parser.parse_args()
    try:
        result = asyncio.run(run(args.workflow_id))
    except UsageError as e:
        print(e, file=sys.stderr)
        return 2
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the SDK's Rust bridge threads can outlive the event loop and
    # abort a short-lived client process at exit ("PyGILState_Release: thread state ... must be
    # current", temporalio/sdk-python#300; seen here about 1 run in 6, with or without a codec).
    os._exit(status)
