package io.github.temporalpayloadcodec.examples;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The activity the Go CrossLanguageWorkflow calls on task queue tpc-java. */
@ActivityInterface
public interface OrderActivities {
  @ActivityMethod(name = "DescribeOrder")
  String describeOrder(Order order);

  /** The Java implementation. */
  final class Impl implements OrderActivities {
    @Override
    public String describeOrder(Order order) {
      return "Order for "
          + order.customer
          + ": "
          + String.join(", ", order.items)
          + " (described by java)";
    }
  }
}
