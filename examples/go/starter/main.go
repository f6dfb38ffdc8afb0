// Command starter runs CrossLanguageWorkflow on "tpc-go" with a sample order and prints the
// result as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"

	"github.com/temporal-payload-codec/temporal-payload-codec/examples/go/demo"
	"go.temporal.io/sdk/client"
)

func main() {
	id := flag.String("id", "tpc-demo-go", "workflow id")
	flag.Parse()

	codec, err := demo.NewCodec()
	if err != nil {
		log.Fatalln("codec:", err)
	}
	defer codec.Close()
	c, err := demo.Dial(codec)
	if err != nil {
		log.Fatalln("connect:", err)
	}
	defer c.Close()

	order := demo.Order{Customer: "Ada Lovelace", Items: []string{"analytical engine", "punch cards", "tea"}}
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: *id, TaskQueue: demo.TaskQueue}, demo.WorkflowType, order)
	if err != nil {
		log.Fatalln("start:", err)
	}
	var result demo.Result
	if err := run.Get(context.Background(), &result); err != nil {
		log.Fatalln("workflow:", err)
	}
	out, err := json.Marshal(result)
	if err != nil {
		log.Fatalln(err)
	}
	fmt.Println(string(out))
}
