package demo

import (
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// The demo contract, run in the SDK's test environment with the codec in the data converter.
func TestCrossLanguageWorkflow(t *testing.T) {
	t.Setenv("TPC_KEY_HEX", strings.Repeat("ab", 32))
	t.Setenv("TPC_KEY_ID", "demo-key")
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer codec.Close()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetDataConverter(converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec))
	env.RegisterWorkflowWithOptions(NewWorkflow("tpc-java"), workflow.RegisterOptions{Name: WorkflowType})
	env.RegisterActivityWithOptions(DescribeOrder, activity.RegisterOptions{Name: ActivityType})
	env.ExecuteWorkflow(WorkflowType, Order{Customer: "Ada", Items: []string{"tea", "cake"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	want := Result{Summary: "Order for Ada: tea, cake (described by go)", ItemCount: 2, WorkflowLanguage: "go"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
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
