package io.github.temporalpayloadcodec.examples;

import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The demo's Java worker: hosts activity DescribeOrder on task queue tpc-java, with the codec in
 * the data converter. Runs until SIGINT/SIGTERM.
 */
public final class Worker {
  private Worker() {}

  /** Registers the Java DescribeOrder on a factory's tpc-java worker. */
  public static void register(WorkerFactory factory) {
    factory
        .newWorker(Demo.ACTIVITY_QUEUE)
        .registerActivitiesImplementations(new OrderActivities.Impl());
  }

  public static void main(String[] args) throws InterruptedException {
    TpcCodec codec = Demo.codec(System.getenv());
    WorkflowClient client = Demo.client(System.getenv(), codec);
    WorkerFactory factory = WorkerFactory.newInstance(client);
    register(factory);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  factory.shutdown();
                  factory.awaitTermination(10, TimeUnit.SECONDS);
                  client.getWorkflowServiceStubs().shutdown();
                  codec.close();
                  stopped.countDown();
                }));
    factory.start();
    System.out.println(
        "java worker: activity DescribeOrder on task queue "
            + Demo.ACTIVITY_QUEUE
            + " with "
            + codec
            + " (library "
            + TpcCodec.libraryVersion()
            + ")");
    stopped.await();
  }
}
