package promtest_test

import (
	"fmt"
	"strings"

	"github.com/sfkvm/sfkvm/internal/promtest"
)

func ExampleParse() {
	text := `# TYPE sfkvm_preflight_check_status gauge
sfkvm_preflight_check_status{check="guest.sudo",status="fail",step="1.2",target="guest12 192.0.2.12"} 1
`
	fams, err := promtest.Parse(strings.NewReader(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range fams["sfkvm_preflight_check_status"].GetMetric() {
		l := promtest.Labels(m)
		fmt.Println(l["check"], l["target"], l["status"])
	}
	// Output: guest.sudo guest12 192.0.2.12 fail
}
