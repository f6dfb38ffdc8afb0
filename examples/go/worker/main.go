// Command worker hosts CrossLanguageWorkflow on task queue "tpc-go", with every payload
// encoded by temporal-payload-codec. With -with-activity it also hosts the Go DescribeOrder
// on the activity queue, so the Go example runs without the other languages. With
// TPC_SHIPPING_QUEUE set, the workflow also calls QuoteShipping there (the demo's TypeScript worker).
package main

import (
	"flag"
	"log"

	"github.com/temporal-payload-codec/temporal-payload-codec/examples/go/demo"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func main() {
	withActivity := flag.Bool("with-activity", false, "also host the Go DescribeOrder activity on TPC_ACTIVITY_QUEUE")
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

	activityQueue, shippingQueue := demo.ActivityQueue(), demo.ShippingQueue()
	workers := []worker.Worker{worker.New(c, demo.TaskQueue, worker.Options{})}
	workers[0].RegisterWorkflowWithOptions(demo.NewWorkflow(activityQueue, shippingQueue), workflow.RegisterOptions{Name: demo.WorkflowType})
	if *withActivity {
		// One worker per task queue: the activity queue is a different queue.
		aw := worker.New(c, activityQueue, worker.Options{})
		aw.RegisterActivityWithOptions(demo.DescribeOrder, activity.RegisterOptions{Name: demo.ActivityType})
		workers = append(workers, aw)
	}
	for _, w := range workers {
		if err := w.Start(); err != nil {
			log.Fatalln("start worker:", err)
		}
	}
	log.Printf("worker: %s on %s, activities on %s, shipping on %q (go activity: %v)", demo.WorkflowType, demo.TaskQueue, activityQueue, shippingQueue, *withActivity)
	// InterruptCh fires on SIGINT and SIGTERM.
	<-worker.InterruptCh()
	for _, w := range workers {
		w.Stop()
	}
	log.Println("worker: stopped")
}
