// Stand-in for the Azure Speech SDK's Go API surface, written for this project's tests: it holds only the
// names plugnmeet-server v2.4.0 uses, and no SDK code. See ../README.md.

// Package common holds the shared result types.
package common

import "fmt"

// ResultReason says what kind of result an operation produced.
type ResultReason int

// SynthesizingAudioStarted is not the zero value, so an empty result never reads as a started synthesis.
const SynthesizingAudioStarted ResultReason = 1

func (r ResultReason) String() string {
	if r == SynthesizingAudioStarted {
		return "SynthesizingAudioStarted"
	}
	return fmt.Sprintf("ResultReason(%d)", int(r))
}

// OperationOutcome is the error part of an asynchronous operation's result.
type OperationOutcome struct {
	Error error
}
