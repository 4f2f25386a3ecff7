//! `linkpulse dlq list|show|replay|purge`: the dead-letter queue from the command line.

use chrono::SecondsFormat;
use indicatif::ProgressBar;

use crate::clicks::DeadLetterSelection;
use crate::config::{DlqCommand, DlqSelection};
use crate::store::Store;

/// Runs one `dlq` subcommand against `store`, printing to stdout.
pub async fn run(store: &dyn Store, command: DlqCommand) -> anyhow::Result<()> {
    match command {
        DlqCommand::List { limit } => {
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
        DlqCommand::Replay(selection) => {
            let spinner = ProgressBar::new_spinner().with_message("replaying dead letters");
            let replayed = store.replay_dead_letters(&to_selection(selection)).await?;
            spinner.finish_and_clear();
            println!(
                "{replayed} dead letter(s) put back in the outbox (original message ids kept)."
            );
        }
        DlqCommand::Purge(selection) => {
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
