"""A JSON Schema for AWS Chatbot (Amazon Q Developer in chat applications) custom notifications."""

from __future__ import annotations

import jsonschema

from cost_watcher.report import digest_chat

# The custom-notification event format of AWS Chatbot / Amazon Q Developer in chat applications
# (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html, "Event schema" and
# "Parameter details"): version must be "1.0", source must be "custom", textType only
# "client-markdown", and the listed content/metadata fields. additionalProperties is false so a
# misspelt field (Chatbot drops what it does not know) fails here. The description's maxLength
# is our own conservative cap (digest_chat.CHATBOT_DESCRIPTION_LIMIT); see its comment.
CHATBOT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "source", "content"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": "1.0"},
        "source": {"const": "custom"},
        "id": {"type": "string", "minLength": 1},
        "content": {
            "type": "object",
            "required": ["description"],
            "additionalProperties": False,
            "properties": {
                "textType": {"enum": ["client-markdown"]},
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1, "maxLength": digest_chat.CHATBOT_DESCRIPTION_LIMIT},
                "nextSteps": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        },
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "threadId": {"type": "string", "minLength": 1},
                "summary": {"type": "string"},
                "eventType": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"},
                "relatedResources": {"type": "array", "items": {"type": "string"}},
                "additionalContext": {"type": "object", "additionalProperties": {"type": "string"}},
                "enableCustomActions": {"type": "boolean"},
            },
        },
    },
}
VALIDATOR = jsonschema.Draft202012Validator(CHATBOT_SCHEMA)
