package count_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/internal/count"
)

func ExampleN() {
	for _, n := range []int{0, 1, 2} {
		fmt.Println(count.N(n, "guest", "guests"), "|", count.All(n, "host", "hosts"))
	}
	// Output:
	// 0 guests | all 0 hosts
	// 1 guest | the one host
	// 2 guests | all 2 hosts
}
