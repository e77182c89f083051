package main

import "fmt"

// Merge returns the union of closed intervals, as few as possible, sorted by start.
func Merge(intervals [][2]int) [][2]int {
	return intervals
}

func main() {
	fmt.Println(Merge([][2]int{{1, 3}, {8, 10}, {2, 6}}))
}
