package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A workflow and an activity in the SDK's in-process test server, with this codec. */
class WorkflowTest {
  public static final class Order {
    public String customer;
    public List<String> items;

    public Order() {}

    Order(String customer, List<String> items) {
      this.customer = customer;
      this.items = items;
    }
  }

  @WorkflowInterface
  public interface OrderWorkflow {
    @WorkflowMethod
    String run(Order order);
  }

  @ActivityInterface
  public interface OrderActivities {
    @ActivityMethod(name = "DescribeOrder")
    String describeOrder(Order order);
  }

  public static final class OrderWorkflowImpl implements OrderWorkflow {
    private final OrderActivities activities =
        Workflow.newActivityStub(
            OrderActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());

    @Override
    public String run(Order order) {
      return activities.describeOrder(order) + " [workflow]";
    }
  }

  public static final class OrderActivitiesImpl implements OrderActivities {
    @Override
    public String describeOrder(Order order) {
      return "Order for " + order.customer + ": " + String.join(", ", order.items);
    }
  }

  @Test
  void workflowAndActivityRunWithEncryptedHistory() throws Exception {
    try (TpcCodec codec =
        TpcCodec.newBuilder()
            .addKey("demo-key", Fixtures.key(9))
            .encryptionKeyId("demo-key")
            .build()) {
      var converter =
          new CodecDataConverter(DefaultDataConverter.newDefaultInstance(), List.of(codec));
      TestWorkflowEnvironment env =
          TestWorkflowEnvironment.newInstance(
              TestEnvironmentOptions.newBuilder()
                  .setWorkflowClientOptions(
                      WorkflowClientOptions.newBuilder().setDataConverter(converter).build())
                  .build());
      try {
        Worker worker = env.newWorker("tpc-test");
        worker.registerWorkflowImplementationTypes(OrderWorkflowImpl.class);
        worker.registerActivitiesImplementations(new OrderActivitiesImpl());
        env.start();

        OrderWorkflow workflow =
            env.getWorkflowClient()
                .newWorkflowStub(
                    OrderWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue("tpc-test")
                        .setWorkflowId("tpc-order-1")
                        .build());
        String result = workflow.run(new Order("Ada Lovelace", List.of("engine", "tea")));
        assertEquals("Order for Ada Lovelace: engine, tea [workflow]", result);

        // What the server stored: every payload is encrypted, nothing readable.
        var history = env.getWorkflowClient().fetchHistory("tpc-order-1");
        List<Payload> stored = new ArrayList<>();
        for (HistoryEvent e : history.getEvents()) {
          if (e.hasWorkflowExecutionStartedEventAttributes()) {
            stored.addAll(
                e.getWorkflowExecutionStartedEventAttributes().getInput().getPayloadsList());
          } else if (e.hasActivityTaskScheduledEventAttributes()) {
            stored.addAll(e.getActivityTaskScheduledEventAttributes().getInput().getPayloadsList());
          } else if (e.hasActivityTaskCompletedEventAttributes()) {
            stored.addAll(
                e.getActivityTaskCompletedEventAttributes().getResult().getPayloadsList());
          } else if (e.hasWorkflowExecutionCompletedEventAttributes()) {
            stored.addAll(
                e.getWorkflowExecutionCompletedEventAttributes().getResult().getPayloadsList());
          }
        }
        assertEquals(4, stored.size(), "input, activity input, activity result, result");
        for (Payload p : stored) {
          assertEquals("binary/encrypted", Fixtures.encoding(p));
          assertEquals("demo-key", p.getMetadataOrThrow("encryption-key-id").toStringUtf8());
        }
        String raw = new String(history.getHistory().toByteArray(), StandardCharsets.ISO_8859_1);
        assertFalse(raw.contains("Lovelace"), "plaintext in the stored history");

        // And the stored result decodes with the codec alone.
        Payloads result0 = Payloads.newBuilder().addPayloads(stored.get(3)).build();
        String decoded =
            converter.fromPayloads(0, java.util.Optional.of(result0), String.class, String.class);
        assertTrue(decoded.endsWith("[workflow]"));
      } finally {
        env.close();
      }
    }
  }
}
