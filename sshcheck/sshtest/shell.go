package sshtest

import (
	"errors"
	"strings"
)

// SplitCommand splits a command line the way a POSIX shell splits simple
// commands: single quotes, double quotes (with \ before $ ` " \ and
// newline), backslash escapes, and leading NAME=value assignments, which
// are returned in env. It knows no expansions, pipes or redirections:
// enough to read what a client such as sshcheck sends.
func SplitCommand(line string) (env map[string]string, args []string, err error) {
	var words []string
	var quoted []bool // a quoted word is never an assignment
	var cur strings.Builder
	inWord, q := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, quoted = append(words, cur.String()), append(quoted, q)
				cur.Reset()
				inWord, q = false, false
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, nil, errors.New("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord, q = true, true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\\n", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, nil, errors.New("unterminated double quote")
			}
			inWord, q = true, true
		case c == '\\':
			if i+1 >= len(line) {
				return nil, nil, errors.New("backslash at end of line")
			}
			i++
			if line[i] != '\n' {
				cur.WriteByte(line[i])
				inWord, q = true, true
			}
		case strings.IndexByte("|&;<>()$`", c) >= 0:
			return nil, nil, errors.New("unsupported shell syntax " + string(c))
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words, quoted = append(words, cur.String()), append(quoted, q)
	}
	env = map[string]string{}
	for len(words) > 0 {
		name, value, ok := strings.Cut(words[0], "=")
		if !ok || quoted[0] || name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			break
		}
		env[name] = value
		words, quoted = words[1:], quoted[1:]
	}
	return env, words, nil
}
