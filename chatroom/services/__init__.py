"""The only code that writes. Each public function takes the session and the acting user."""
