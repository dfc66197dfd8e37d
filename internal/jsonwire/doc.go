// Package jsonwire holds what every JSON report of sfkvm shares: encoding
// without HTML escaping, and the error text that a report carries in place
// of a Go error value.
//
// Every report is one object with a "schema" field, snake_case keys and
// durations as numbers of seconds in keys ending in "_seconds"; the
// docs/contract.md lists the schemas.
package jsonwire
