package io.github.temporalpayloadcodec.examples;

import java.util.List;

/** The demo's order: JSON {"customer": str, "items": [str]}, as the Go worker sends it. */
public final class Order {
  public String customer;
  public List<String> items;

  public Order() {}

  public Order(String customer, List<String> items) {
    this.customer = customer;
    this.items = items;
  }
}
