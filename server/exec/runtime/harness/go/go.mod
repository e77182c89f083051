module duet

go 1.19
