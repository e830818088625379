"""powertools Logger shared by every handler: JSON lines, one service name."""

from aws_lambda_powertools import Logger

logger = Logger(service="aftersales")
