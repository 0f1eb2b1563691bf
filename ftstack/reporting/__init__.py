"""The training report of one fine-tuning job: loss and accuracy curves as a PNG, and a Markdown summary."""
