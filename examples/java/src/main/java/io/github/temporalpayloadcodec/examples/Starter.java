package io.github.temporalpayloadcodec.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Starts the demo's CrossLanguageWorkflow (hosted by the Go worker on tpc-go) and prints its JSON
 * result. Usage: {@code Starter [-id ID] [CUSTOMER [ITEM...]]}.
 */
public final class Starter {
  private Starter() {}

  /** Runs the workflow to completion and returns its result. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> run(WorkflowClient client, String workflowId, Order order) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            Demo.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setTaskQueue(Demo.WORKFLOW_QUEUE)
                .setWorkflowId(workflowId)
                .build());
    stub.start(order);
    return stub.getResult(Map.class);
  }

  public static void main(String[] args) throws Exception {
    List<String> rest = Arrays.asList(args);
    String id = "tpc-demo-java-" + UUID.randomUUID();
    if (rest.size() >= 2 && rest.get(0).equals("-id")) {
      id = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    Order order =
        rest.isEmpty()
            ? new Order("Ada Lovelace", List.of("analytical engine", "punch cards", "tea"))
            : new Order(rest.get(0), rest.subList(1, rest.size()));
    try (TpcCodec codec = Demo.codec(System.getenv())) {
      WorkflowClient client = Demo.client(System.getenv(), codec);
      try {
        System.out.println(new ObjectMapper().writeValueAsString(run(client, id, order)));
      } finally {
        client.getWorkflowServiceStubs().shutdown();
      }
    }
  }
}
