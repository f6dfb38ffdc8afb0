"""A real workflow with an activity on a real Temporal server (temporal server start-dev),
every payload through the codec; then a client without the codec reads the history."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import temporalio.converter
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.worker import Worker

from conftest import Server
from order_workflow import Order, OrderWorkflow, describe_order
from temporal_payload_codec import Codec

SECRET = "Ada Lovelace"


def payloads_in(message: Message) -> Iterator[tuple[str, Payload]]:
    """Every Payload anywhere inside a protobuf message, with the path of fields leading to it."""
    if isinstance(message, Payload):
        yield "", message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            items = [v for v in value.values() if isinstance(v, Message)]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            for path, payload in payloads_in(item):
                yield f"{field.name}.{path}".rstrip("."), payload


def encrypting_codec() -> Codec:
    return Codec(keys={"demo-key": os.urandom(32)}, encryption_key_id="demo-key")


def encrypting_codec_with_the_empty_key_id() -> Codec:
    """As the Go encryption sample's codec server: the empty key id."""
    return Codec(keys={"": os.urandom(32)}, encryption_key_id="")


CODECS: dict[str, tuple[Callable[[], Codec], set[bytes]]] = {
    "snappy": (Codec, {b"binary/snappy"}),
    "snappy+aes": (encrypting_codec, {b"binary/encrypted"}),
    "snappy+aes-empty-key-id": (encrypting_codec_with_the_empty_key_id, {b"binary/encrypted"}),
}


@pytest.mark.parametrize("name", CODECS)
async def test_workflow_history_holds_only_encoded_payloads(temporal_server: Server, name: str) -> None:
    make_codec, encodings = CODECS[name]
    codec = make_codec()
    converter = dataclasses.replace(temporalio.converter.default(), payload_codec=codec)
    client = await Client.connect(temporal_server.address, data_converter=converter)
    queue = f"tpc-python-{uuid.uuid4()}"
    order = Order(customer=SECRET, items=["analytical engine", "punch cards"])
    async with Worker(client, task_queue=queue, workflows=[OrderWorkflow], activities=[describe_order]):
        handle = await client.start_workflow(OrderWorkflow.run, order, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        await handle.signal(OrderWorkflow.add_note, f"a note for {SECRET}")
        result = await handle.result()
    assert result == {
        "summary": f"Order for {SECRET}: analytical engine, punch cards (described by python)",
        "itemCount": 2,
        "notes": [f"a note for {SECRET}"],
    }

    # A client without the codec sees the history as the server stores it.
    plain_client = await Client.connect(temporal_server.address)
    history = await plain_client.get_workflow_handle(handle.id).fetch_history()
    found = [(path, p) for event in history.events for path, p in payloads_in(event)]
    paths = {path for path, _ in found}
    # Input, activity input and result, the failure's details, the signal, the workflow result.
    assert len(found) >= 6, paths
    assert any("last_failure" in path for path in paths), paths
    for path, p in found:
        assert p.metadata["encoding"] in encodings, f"{path} is stored as {p.metadata['encoding']!r}"
        assert set(p.metadata) <= {"encoding", "encryption-key-id"}, f"{path}: {dict(p.metadata)}"
    # The codec reads back what was stored.
    decoded = await codec.decode([p for _, p in found])
    assert all(p.metadata["encoding"] == b"json/plain" for p in decoded)
    assert any(SECRET.encode() in p.data for p in decoded)
    if b"binary/encrypted" in encodings:
        # Snappy keeps short strings as literals; with encryption no plaintext reaches the server.
        raw = b"".join(event.SerializeToString() for event in history.events)
        assert SECRET.encode() not in raw
