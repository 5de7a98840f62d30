"""Messages to customers: e-mail through a mailer chosen by configuration."""
