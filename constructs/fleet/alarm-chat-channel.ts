import { Aws, Names, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ModelFleetError } from '../core/private/modelfleet-error';

/** What `AlarmChatChannel.bind` created. */
export interface AlarmChatChannelConfig {
  /** ARN of the AWS Chatbot channel configuration. */
  readonly configurationArn: string;
  /** The role the channel configuration uses (no permissions: notifications need none). */
  readonly role: iam.IRole;
}

/**
 * A chat channel that the alarm topic reaches through AWS Chatbot (Amazon Q Developer in chat applications): a Slack
 * channel or a Microsoft Teams channel. The workspace or team must have been authorised once in the Chatbot console
 * (that is where its id comes from); in Slack, invite the app to a private channel with `/invite @Amazon Q`.
 *
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/slack-setup.html
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/teams-setup.html
 */
export abstract class AlarmChatChannel {
  /**
   * A Slack channel.
   *
   * @param workspaceId the Slack workspace id shown by the Chatbot console (e.g. `T0123ABCD`)
   * @param channelId the channel id (in Slack: channel details, at the bottom; e.g. `C0123ABCD`)
   */
  public static slack(workspaceId: string, channelId: string): AlarmChatChannel {
    return new SlackChannel(workspaceId, channelId);
  }

  /**
   * A Microsoft Teams channel.
   *
   * @param tenantId the Microsoft Entra tenant id shown by the Chatbot console
   * @param teamId the team id shown by the Chatbot console
   * @param channelId the channel id (from the channel's link, e.g. `19%3ab6ef...%40thread.tacv2`)
   */
  public static microsoftTeams(tenantId: string, teamId: string, channelId: string): AlarmChatChannel {
    return new TeamsChannel(tenantId, teamId, channelId);
  }

  /** `slack` or `microsoft-teams`. */
  public abstract readonly kind: string;

  /**
   * Creates the channel configuration subscribed to the topic.
   *
   * @param scope the construct the configuration is created in
   * @param topic the alarm topic
   */
  public abstract bind(scope: Construct, topic: sns.ITopic): AlarmChatChannelConfig;
}

function channelRole(scope: Construct): iam.Role {
  return new iam.Role(scope, 'ChatChannelRole', {
    assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
    description: 'AWS Chatbot channel of the modelfleet alarm topic: posts notifications, runs nothing',
  });
}

/** Only read-only actions, whatever a user's chat role could do. */
function guardrails(): string[] {
  return [`arn:${Aws.PARTITION}:iam::aws:policy/ReadOnlyAccess`];
}

function check(scope: Construct, label: string, value: string, pattern: RegExp, example: string): void {
  if (!Token.isUnresolved(value) && !pattern.test(value)) {
    throw new ModelFleetError('AlarmChatChannelIdInvalid', `${label} '${value}' is not an id of that form (${pattern}); `
      + `copy it from the AWS Chatbot console, e.g. '${example}'`, scope);
  }
}

class SlackChannel extends AlarmChatChannel {
  public readonly kind = 'slack';
  constructor(private readonly workspaceId: string, private readonly channelId: string) {
    super();
  }

  public bind(scope: Construct, topic: sns.ITopic): AlarmChatChannelConfig {
    check(scope, 'Slack workspaceId', this.workspaceId, /^[0-9A-Z]{1,255}$/, 'T0123ABCD');
    check(scope, 'Slack channelId', this.channelId, /^[A-Za-z0-9]{9,11}$/, 'C0123ABCDEF');
    const role = channelRole(scope);
    const config = new chatbot.CfnSlackChannelConfiguration(scope, 'SlackChannel', {
      configurationName: Names.uniqueResourceName(scope, { maxLength: 128, separator: '-' }),
      iamRoleArn: role.roleArn,
      slackWorkspaceId: this.workspaceId,
      slackChannelId: this.channelId,
      snsTopicArns: [topic.topicArn],
      guardrailPolicies: guardrails(),
      loggingLevel: 'ERROR',
    });
    return { configurationArn: config.ref, role };
  }
}

class TeamsChannel extends AlarmChatChannel {
  public readonly kind = 'microsoft-teams';
  constructor(private readonly tenantId: string, private readonly teamId: string, private readonly channelId: string) {
    super();
  }

  public bind(scope: Construct, topic: sns.ITopic): AlarmChatChannelConfig {
    const uuid = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;
    check(scope, 'Teams tenantId', this.tenantId, uuid, '00000000-1111-2222-3333-444444444444');
    check(scope, 'Teams teamId', this.teamId, uuid, '00000000-1111-2222-3333-444444444444');
    check(scope, 'Teams channelId', this.channelId, /^\S{1,256}$/, '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2');
    const role = channelRole(scope);
    const config = new chatbot.CfnMicrosoftTeamsChannelConfiguration(scope, 'TeamsChannel', {
      configurationName: Names.uniqueResourceName(scope, { maxLength: 128, separator: '-' }),
      iamRoleArn: role.roleArn,
      teamsTenantId: this.tenantId,
      teamId: this.teamId,
      teamsChannelId: this.channelId,
      snsTopicArns: [topic.topicArn],
      guardrailPolicies: guardrails(),
      loggingLevel: 'ERROR',
    });
    return { configurationArn: config.ref, role };
  }
}
