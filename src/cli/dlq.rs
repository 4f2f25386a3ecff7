//! `linkpulse dlq list|show|replay|purge`: the dead-letter queue from the command line.

use chrono::SecondsFormat;
use indicatif::ProgressBar;

use crate::clicks::DeadLetterSelection;
use crate::config::{DlqCommand, DlqSelection};
use crate::store::Store;

/// Runs one `dlq` subcommand against `store`, printing to stdout.
pub async fn run(store: &dyn Store, command: DlqCommand) -> anyhow::Result<()> {
    match command {
        DlqCommand::List {
            limit,
            consumer: Some(consumer),
        } => {
            let dead = store.dead_deliveries(Some(&consumer), limit).await?;
            if dead.is_empty() {
                println!("{consumer} has no dead deliveries.");
            }
            for letter in dead {
                println!(
                    "{:>8}  {}  {}  {}  attempts={}  {}",
                    letter.id,
                    letter.dead_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    letter.message_id,
                    letter.event.as_str(),
                    letter.attempts,
                    letter.reason
                );
            }
        }
        DlqCommand::List {
            limit,
            consumer: None,
        } => {
            let letters = store.list_dead_letters(limit, 0).await?;
            if letters.is_empty() {
                println!("The dead-letter queue is empty.");
            }
            for letter in letters {
                println!(
                    "{:>8}  {}  {}  attempts={}  {}",
                    letter.id,
                    letter.failed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    letter.message_id,
                    letter.attempts,
                    letter.reason
                );
            }
        }
        DlqCommand::Show { id } => {
            let Some(letter) = store.find_dead_letter(id).await? else {
                anyhow::bail!("no dead letter with id {id}");
            };
            println!("id:          {}", letter.id);
            println!("message id:  {}", letter.message_id);
            println!("reason:      {}", letter.reason);
            println!("last error:  {}", letter.last_error);
            println!("attempts:    {}", letter.attempts);
            println!("enqueued at: {}", letter.enqueued_at.to_rfc3339());
            println!("failed at:   {}", letter.failed_at.to_rfc3339());
            println!("payload:     {}", letter.payload);
        }
        DlqCommand::Replay {
            which,
            consumer: Some(consumer),
        } => {
            let ids = (!which.all).then_some(which.ids);
            let replayed = store.replay_deliveries(&consumer, ids.as_deref()).await?;
            println!("{replayed} dead deliveries of {consumer} put back in its queue.");
        }
        DlqCommand::Replay {
            which: selection,
            consumer: None,
        } => {
            let spinner = ProgressBar::new_spinner().with_message("replaying dead letters");
            let replayed = store.replay_dead_letters(&to_selection(selection)).await?;
            spinner.finish_and_clear();
            println!(
                "{replayed} dead letter(s) put back in the outbox (original message ids kept)."
            );
        }
        DlqCommand::Purge {
            which,
            consumer: Some(consumer),
        } => {
            let ids = (!which.all).then_some(which.ids);
            let purged = store.purge_deliveries(&consumer, ids.as_deref()).await?;
            println!("{purged} dead deliveries of {consumer} deleted.");
        }
        DlqCommand::Purge {
            which: selection,
            consumer: None,
        } => {
            let purged = store.purge_dead_letters(&to_selection(selection)).await?;
            println!("{purged} dead letter(s) deleted.");
        }
    }
    Ok(())
}

fn to_selection(selection: DlqSelection) -> DeadLetterSelection {
    if selection.all {
        DeadLetterSelection::All
    } else {
        DeadLetterSelection::Ids(selection.ids)
    }
}
