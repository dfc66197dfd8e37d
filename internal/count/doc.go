// Package count writes a number with its noun in agreement: "1 guest",
// "2 guests", "0 guests". Every message of sfkvm that counts something
// says it through N, so that a site of one host never reads "1 hosts"
// (TestCountsAgree in the module's root scans the sources for a %d
// before a plural noun).
package count
