// Package demo holds what the Go worker and starter share: the order types, the
// CrossLanguageWorkflow, the Go DescribeOrder activity and the codec configured from the
// environment, following the cross-language demo contract (Java, Python and .NET keep to it
// too, so any language's worker can run any other's activity).
package demo

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	tpc "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

const (
	WorkflowType = "CrossLanguageWorkflow"
	ActivityType = "DescribeOrder"
	// ShippingActivityType is the optional second activity; the demo's TypeScript worker hosts it.
	ShippingActivityType = "QuoteShipping"
	TaskQueue            = "tpc-go"
)

type Order struct {
	Customer string   `json:"customer"`
	Items    []string `json:"items"`
}

type Result struct {
	Summary          string `json:"summary"`
	ItemCount        int    `json:"itemCount"`
	WorkflowLanguage string `json:"workflowLanguage"`
	// Shipping is QuoteShipping's answer, present only when the workflow calls it.
	Shipping string `json:"shipping,omitempty"`
}

func Env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// ActivityQueue is where DescribeOrder runs; by default the Java worker hosts it.
func ActivityQueue() string { return Env("TPC_ACTIVITY_QUEUE", "tpc-java") }

// ShippingQueue is where QuoteShipping runs; empty (the default) leaves it out of the workflow.
func ShippingQueue() string { return os.Getenv("TPC_SHIPPING_QUEUE") }

// NewCodec is snappy, plus AES-256-GCM under TPC_KEY_ID when TPC_KEY_HEX holds a 32-byte key.
func NewCodec() (*tpc.Codec, error) {
	keyHex := os.Getenv("TPC_KEY_HEX")
	if keyHex == "" {
		return tpc.New()
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("TPC_KEY_HEX must be 64 hex characters (a 32-byte key)")
	}
	id := Env("TPC_KEY_ID", "demo-key")
	return tpc.New(tpc.WithKey(id, key), tpc.WithEncryptionKeyID(id))
}

// Dial connects with the codec in the data converter, so every payload is encoded by it.
func Dial(codec converter.PayloadCodec) (client.Client, error) {
	return client.Dial(client.Options{
		HostPort:      Env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace:     Env("TEMPORAL_NAMESPACE", "default"),
		DataConverter: converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec),
	})
}

// NewWorkflow binds the activity queues at registration: reading the environment inside
// workflow code would not be replay-safe. With a shipping queue the workflow also asks
// QuoteShipping there, after DescribeOrder.
func NewWorkflow(activityQueue, shippingQueue string) func(workflow.Context, Order) (Result, error) {
	return func(ctx workflow.Context, o Order) (Result, error) {
		options := workflow.ActivityOptions{TaskQueue: activityQueue, StartToCloseTimeout: 30 * time.Second}
		var summary string
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, options), ActivityType, o).Get(ctx, &summary); err != nil {
			return Result{}, err
		}
		result := Result{Summary: summary, ItemCount: len(o.Items), WorkflowLanguage: "go"}
		if shippingQueue != "" {
			options.TaskQueue = shippingQueue
			if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, options), ShippingActivityType, o).Get(ctx, &result.Shipping); err != nil {
				return Result{}, err
			}
		}
		return result, nil
	}
}

func DescribeOrder(_ context.Context, o Order) (string, error) {
	return fmt.Sprintf("Order for %s: %s (described by go)", o.Customer, strings.Join(o.Items, ", ")), nil
}
