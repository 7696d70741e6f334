import { type VolumeChange } from '../volumes/volume-drivers.js';
import { type EventInput } from './event-journal.js';

/** Docker's volume events (`create`, `destroy`): the ID is the volume's name, with its `driver`. */
export function volumeEvent(change: VolumeChange): EventInput {
  return {
    type: 'volume',
    action: change.action,
    id: change.name,
    attributes: { driver: change.driver },
    ...(change.at ? { at: change.at } : {}),
  };
}
