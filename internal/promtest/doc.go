// Package promtest reads node_exporter textfiles back in tests, with the
// parser Prometheus' own tools use, so that every test of a metrics file
// (preflight's, the site's, the CLI's) checks it the same way: a file that
// Prometheus would not read fails the test that wrote it.
package promtest
