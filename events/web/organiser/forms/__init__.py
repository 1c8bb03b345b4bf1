"""Forms of the back office, one module per page group, one FlaskForm per use case."""
