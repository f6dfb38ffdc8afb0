package io.github.temporalpayloadcodec.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The worker's activity and the starter against the SDK's in-process server, with a Java stand-in
 * for the Go CrossLanguageWorkflow (same type, queue and result shape).
 */
class DemoTest {
  @WorkflowInterface
  public interface CrossLanguageWorkflow {
    @WorkflowMethod(name = "CrossLanguageWorkflow")
    Map<String, Object> run(Order order);
  }

  public static final class StandIn implements CrossLanguageWorkflow {
    @Override
    public Map<String, Object> run(Order order) {
      String summary =
          Workflow.newUntypedActivityStub(
                  ActivityOptions.newBuilder()
                      .setTaskQueue(Demo.ACTIVITY_QUEUE)
                      .setStartToCloseTimeout(Duration.ofSeconds(10))
                      .build())
              .execute("DescribeOrder", String.class, order);
      return Map.of(
          "summary", summary, "itemCount", order.items.size(), "workflowLanguage", "java-test");
    }
  }

  @Test
  void describeOrderThroughTheDemoContract() {
    Map<String, String> env = Map.of("TPC_KEY_HEX", "11".repeat(32), "TPC_KEY_ID", "demo-key");
    try (TpcCodec codec = Demo.codec(env)) {
      TestWorkflowEnvironment testEnv =
          TestWorkflowEnvironment.newInstance(
              TestEnvironmentOptions.newBuilder()
                  .setWorkflowClientOptions(
                      WorkflowClientOptions.newBuilder()
                          .setDataConverter(Demo.converter(codec))
                          .build())
                  .build());
      try {
        WorkerFactory factory = testEnv.getWorkerFactory();
        Worker.register(factory);
        testEnv.newWorker(Demo.WORKFLOW_QUEUE).registerWorkflowImplementationTypes(StandIn.class);
        testEnv.start();

        Map<String, Object> result =
            Starter.run(
                testEnv.getWorkflowClient(),
                "demo-1",
                new Order("Ada Lovelace", List.of("analytical engine", "punch cards", "tea")));
        assertEquals(
            "Order for Ada Lovelace: analytical engine, punch cards, tea (described by java)",
            result.get("summary"));
        assertEquals(3, result.get("itemCount"));

        for (HistoryEvent e : testEnv.getWorkflowClient().fetchHistory("demo-1").getEvents()) {
          if (e.hasActivityTaskCompletedEventAttributes()) {
            Payload p = e.getActivityTaskCompletedEventAttributes().getResult().getPayloads(0);
            assertEquals("binary/encrypted", p.getMetadataOrThrow("encoding").toStringUtf8());
          }
        }
      } finally {
        testEnv.close();
      }
    }
  }

  @Test
  void badKeysAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Demo.codec(Map.of("TPC_KEY_HEX", "zz")));
    assertThrows(IllegalArgumentException.class, () -> Demo.codec(Map.of("TPC_KEY_HEX", "11")));
  }
}
