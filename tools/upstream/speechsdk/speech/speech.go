// Stand-in for the Azure Speech SDK's Go API surface, written for this project's tests: it holds only the
// names plugnmeet-server v2.4.0 uses, and no SDK code. See ../README.md.

// Package speech holds speech configs, the translation recognizer and the speech synthesizer; none can be
// created. Methods are safe on nil, and asynchronous ones return a channel that already holds the error, so
// a caller waiting on it does not hang.
package speech

import (
	"errors"

	"github.com/Microsoft/cognitive-services-speech-sdk-go/audio"
	"github.com/Microsoft/cognitive-services-speech-sdk-go/common"
)

var errNotAvailable = errors.New("speech SDK not available")

// SpeechConfig configures speech synthesis.
type SpeechConfig struct{}

// NewSpeechConfigFromSubscription always fails.
func NewSpeechConfigFromSubscription(subscriptionKey string, region string) (*SpeechConfig, error) {
	return nil, errNotAvailable
}

// SetSpeechSynthesisLanguage always fails.
func (c *SpeechConfig) SetSpeechSynthesisLanguage(language string) error { return errNotAvailable }

// SetSpeechSynthesisVoiceName always fails.
func (c *SpeechConfig) SetSpeechSynthesisVoiceName(voiceName string) error { return errNotAvailable }

// Close does nothing: nothing was opened.
func (c *SpeechConfig) Close() {}

// SpeechTranslationConfig configures recognition with translation.
type SpeechTranslationConfig struct{}

// NewSpeechTranslationConfigFromSubscription always fails.
func NewSpeechTranslationConfigFromSubscription(subscriptionKey string, region string) (*SpeechTranslationConfig, error) {
	return nil, errNotAvailable
}

// SetSpeechRecognitionLanguage always fails.
func (c *SpeechTranslationConfig) SetSpeechRecognitionLanguage(language string) error {
	return errNotAvailable
}

// AddTargetLanguage always fails.
func (c *SpeechTranslationConfig) AddTargetLanguage(language string) error { return errNotAvailable }

// SessionEventArgs is passed to session start and stop handlers.
type SessionEventArgs struct{}

// SessionEventHandler handles session start and stop.
type SessionEventHandler func(event SessionEventArgs)

// TranslationRecognitionResult is recognized text and its translations.
type TranslationRecognitionResult struct {
	Text string
}

// GetTranslations returns no translations: there never is a result.
func (r TranslationRecognitionResult) GetTranslations() map[string]string { return nil }

// TranslationRecognitionEventArgs is passed to the recognizing and recognized handlers.
type TranslationRecognitionEventArgs struct {
	Result TranslationRecognitionResult
}

// TranslationRecognitionEventHandler handles partial and final results.
type TranslationRecognitionEventHandler func(event TranslationRecognitionEventArgs)

// TranslationRecognitionCanceledEventArgs is passed to the canceled handler.
type TranslationRecognitionCanceledEventArgs struct {
	ErrorDetails string
}

// TranslationRecognitionCanceledEventHandler handles cancellation.
type TranslationRecognitionCanceledEventHandler func(event TranslationRecognitionCanceledEventArgs)

// TranslationRecognizer recognizes speech and translates it. Its handlers are dropped: no event ever fires.
type TranslationRecognizer struct{}

// NewTranslationRecognizerFromConfig always fails.
func NewTranslationRecognizerFromConfig(config *SpeechTranslationConfig, audioConfig *audio.AudioConfig) (*TranslationRecognizer, error) {
	return nil, errNotAvailable
}

// SessionStarted drops the handler.
func (r *TranslationRecognizer) SessionStarted(handler SessionEventHandler) {}

// SessionStopped drops the handler.
func (r *TranslationRecognizer) SessionStopped(handler SessionEventHandler) {}

// Recognizing drops the handler.
func (r *TranslationRecognizer) Recognizing(handler TranslationRecognitionEventHandler) {}

// Recognized drops the handler.
func (r *TranslationRecognizer) Recognized(handler TranslationRecognitionEventHandler) {}

// Canceled drops the handler.
func (r *TranslationRecognizer) Canceled(handler TranslationRecognitionCanceledEventHandler) {}

// StartContinuousRecognitionAsync fails at once.
func (r *TranslationRecognizer) StartContinuousRecognitionAsync() chan error { return failed() }

// StopContinuousRecognitionAsync fails at once.
func (r *TranslationRecognizer) StopContinuousRecognitionAsync() chan error { return failed() }

// Close does nothing: nothing was opened.
func (r *TranslationRecognizer) Close() {}

func failed() chan error {
	ch := make(chan error, 1)
	ch <- errNotAvailable
	return ch
}

// SpeechSynthesisResult is the result of a synthesis.
type SpeechSynthesisResult struct {
	Reason common.ResultReason
}

// SpeechSynthesisOutcome is what a synthesis task delivers: an error or a result.
type SpeechSynthesisOutcome struct {
	common.OperationOutcome
	Result *SpeechSynthesisResult
}

// Close does nothing: nothing was opened.
func (o *SpeechSynthesisOutcome) Close() {}

// SpeechSynthesizer turns text into audio.
type SpeechSynthesizer struct{}

// NewSpeechSynthesizerFromConfig always fails.
func NewSpeechSynthesizerFromConfig(config *SpeechConfig, audioConfig *audio.AudioConfig) (*SpeechSynthesizer, error) {
	return nil, errNotAvailable
}

// StartSpeakingTextAsync delivers an outcome holding the error at once.
func (s *SpeechSynthesizer) StartSpeakingTextAsync(text string) chan SpeechSynthesisOutcome {
	ch := make(chan SpeechSynthesisOutcome, 1)
	ch <- SpeechSynthesisOutcome{OperationOutcome: common.OperationOutcome{Error: errNotAvailable}}
	return ch
}

// Close does nothing: nothing was opened.
func (s *SpeechSynthesizer) Close() {}

// SpeechSynthesisCancellationDetails says why a synthesis was canceled.
type SpeechSynthesisCancellationDetails struct {
	ErrorDetails string
}

// NewCancellationDetailsFromSpeechSynthesisResult returns details along with its error, because
// plugnmeet-server reads ErrorDetails without checking the error.
func NewCancellationDetailsFromSpeechSynthesisResult(result *SpeechSynthesisResult) (*SpeechSynthesisCancellationDetails, error) {
	return &SpeechSynthesisCancellationDetails{ErrorDetails: errNotAvailable.Error()}, errNotAvailable
}

// AudioDataStream reads synthesized audio. Methods are safe on nil.
type AudioDataStream struct{}

// NewAudioDataStreamFromSpeechSynthesisResult always fails.
func NewAudioDataStreamFromSpeechSynthesisResult(result *SpeechSynthesisResult) (*AudioDataStream, error) {
	return nil, errNotAvailable
}

// Read always fails.
func (s *AudioDataStream) Read(buffer []byte) (int, error) { return 0, errNotAvailable }

// Close does nothing: nothing was opened.
func (s *AudioDataStream) Close() {}
