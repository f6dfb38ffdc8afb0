package demo

import (
	"context"
	"fmt"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// The demo contract, run in the SDK's test environment with the codec in the data converter:
// without a shipping queue (the Go-only example) and with one (the demo, where the TypeScript
// worker quotes shipping).
func TestCrossLanguageWorkflow(t *testing.T) {
	t.Setenv("TPC_KEY_HEX", strings.Repeat("ab", 32))
	t.Setenv("TPC_KEY_ID", "demo-key")
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer codec.Close()
	quote := func(_ context.Context, o Order) (string, error) {
		return fmt.Sprintf("%d items by test", len(o.Items)), nil
	}
	for _, tc := range []struct {
		shippingQueue string
		want          Result
	}{
		{"", Result{Summary: "Order for Ada: tea, cake (described by go)", ItemCount: 2, WorkflowLanguage: "go"}},
		{"tpc-node", Result{Summary: "Order for Ada: tea, cake (described by go)", ItemCount: 2, WorkflowLanguage: "go", Shipping: "2 items by test"}},
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.SetDataConverter(converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec))
		env.RegisterWorkflowWithOptions(NewWorkflow("tpc-java", tc.shippingQueue), workflow.RegisterOptions{Name: WorkflowType})
		env.RegisterActivityWithOptions(DescribeOrder, activity.RegisterOptions{Name: ActivityType})
		env.RegisterActivityWithOptions(quote, activity.RegisterOptions{Name: ShippingActivityType})
		env.ExecuteWorkflow(WorkflowType, Order{Customer: "Ada", Items: []string{"tea", "cake"}})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		var got Result
		if err := env.GetWorkflowResult(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Fatalf("shipping queue %q: got %+v, want %+v", tc.shippingQueue, got, tc.want)
		}
	}
}

func TestNewCodecFromEnv(t *testing.T) {
	t.Setenv("TPC_KEY_HEX", "")
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, bad := range []string{"zz", strings.Repeat("ab", 16)} {
		t.Setenv("TPC_KEY_HEX", bad)
		if _, err := NewCodec(); err == nil {
			t.Fatalf("TPC_KEY_HEX=%q accepted", bad)
		}
	}
	t.Setenv("TPC_KEY_HEX", strings.Repeat("01", 32))
	t.Setenv("TPC_KEY_ID", "")
	c, err = NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := converter.GetDefaultDataConverter().ToPayload(Order{Customer: "x"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	if string(out[0].Metadata["encoding"]) != "binary/encrypted" || string(out[0].Metadata["encryption-key-id"]) != "demo-key" {
		t.Fatalf("with TPC_KEY_HEX set the codec must encrypt under the default key id: %v", out[0].Metadata)
	}
}
