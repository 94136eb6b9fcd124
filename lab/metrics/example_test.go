package metrics_test

import (
	"fmt"

	"github.com/go-translab/translab/lab/metrics"
)

func ExampleClassificationReport() {
	yTrue := []int{0, 1, 1, 0, 1, 0, 1, 1}
	yPred := []int{0, 1, 0, 0, 1, 1, 1, 1}
	fmt.Print(metrics.ClassificationReport(yTrue, yPred, []string{"negative", "positive"}, 2))
	// Output:
	//               precision    recall  f1-score   support
	//
	//     negative       0.67      0.67      0.67         3
	//     positive       0.80      0.80      0.80         5
	//
	//     accuracy                           0.75         8
	//    macro avg       0.73      0.73      0.73         8
	// weighted avg       0.75      0.75      0.75         8
}
