"""A workflow and an activity for the end-to-end test. Kept in a module of their own that
imports only temporalio, so the workflow sandbox can re-import it freely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError


@dataclass
class Order:
    customer: str
    items: list[str]


@activity.defn
async def describe_order(order: Order) -> str:
    if activity.info().attempt == 1:
        # The failure's details are payloads too: the retry stores them in the history.
        raise ApplicationError("first attempt fails on purpose", {"secret": order.customer})
    return f"Order for {order.customer}: {', '.join(order.items)} (described by python)"


@workflow.defn
class OrderWorkflow:
    def __init__(self) -> None:
        self._notes: list[str] = []

    @workflow.signal
    def add_note(self, note: str) -> None:
        self._notes.append(note)

    @workflow.run
    async def run(self, order: Order) -> dict[str, Any]:
        summary = await workflow.execute_activity(
            describe_order,
            order,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        await workflow.wait_condition(lambda: bool(self._notes))
        return {"summary": summary, "itemCount": len(order.items), "notes": self._notes}
