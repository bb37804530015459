"""The video wing: plan and run the one ffmpeg pass of the ladder, posters and sprite; WebVTT tracks."""
