module github.com/Microsoft/cognitive-services-speech-sdk-go

go 1.21
