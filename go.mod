module github.com/sfkvm/sfkvm

go 1.26
