import Foundation

/// The agent definitions that ship with ptb: the same bytes as the repository's `agents/*.yaml`
/// (a test keeps them equal). Embedded because PTBAgents bundles only `Python/` as a resource.
public enum BuiltInAgents {
    /// File name (without `.yaml`) → YAML text.
    public static let definitions: [String: String] = [
        "claude-opus-4-6-subscription": #"""
            # Claude Code on a Claude subscription (the original `claude_non_api`): the OAuth token comes from
            # $PTB_HOME/credentials/claude_oauth_token (`claude setup-token`), ANTHROPIC_API_KEY is emptied.
            name: claude-opus-4-6-subscription
            scaffold: claude-code
            model: claude-opus-4-6
            effort: high
            auth: subscription
            description: Claude Code, Opus 4.6, subscription (OAuth token), effort high
            """#,
        "claude-opus-4-6": #"""
            # Claude Code with an Anthropic API key (the original `claude` agent dir).
            name: claude-opus-4-6
            scaffold: claude-code
            model: claude-opus-4-6
            auth: api-key
            description: Claude Code, Opus 4.6, API key
            """#,
        "codex-gpt-5.2": #"""
            # Codex CLI with an OpenAI key (the original `codex` agent dir): CODEX_API_KEY, or OPENAI_API_KEY.
            name: codex-gpt-5.2
            scaffold: codex
            model: gpt-5.2
            auth: api-key
            description: Codex CLI, GPT-5.2, API key
            """#,
        "codex-gpt-5.4-xhigh-reprompt": #"""
            # Codex CLI on a ChatGPT subscription with re-prompting (the original `codex_non_api_xhigh_reprompt`):
            # auth.json from $PTB_HOME/credentials/codex_auth.json goes into the workspace's .codex.
            name: codex-gpt-5.4-xhigh-reprompt
            scaffold: codex
            model: gpt-5.4
            effort: xhigh
            auth: subscription
            reprompt:
              enabled: true
              min_remaining_minutes: 30
              message: "You still have {H}h {M}m remaining. Please continue improving your result and maximize performance."
            description: Codex CLI, GPT-5.4 xhigh, subscription, re-prompted while >= 30 min remain
            """#,
        "gemini-3-pro": #"""
            # Gemini CLI with a Gemini API key (the original `gemini` agent dir).
            name: gemini-3-pro
            scaffold: gemini
            model: models/gemini-3-pro-preview
            auth: api-key
            description: Gemini CLI, Gemini 3 Pro (preview), API key
            """#,
        "judge-codex": #"""
            # The original's integrity judge: Codex CLI with gpt-5.1-codex and an OpenAI key, used with
            # `ptb run --judge judge-codex` (it runs in a fresh workspace and writes judgement.json).
            name: judge-codex
            scaffold: codex
            model: gpt-5.1-codex
            auth: api-key
            description: integrity judge, Codex CLI, GPT-5.1-Codex, API key
            """#,
        "opencode-glm-5": #"""
            # OpenCode against Z.AI's OpenAI-compatible endpoint (the original `opencode` dir, zai/glm-5).
            name: opencode-glm-5
            scaffold: opencode
            model: zai/glm-5
            auth: api-key
            description: OpenCode, GLM-5 via Z.AI, API key
            """#,
    ]
}
