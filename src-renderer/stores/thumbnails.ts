/**
 * Where the page loads dataset thumbnails from: the URL of `/thumbnails/<dataset>/<split>/<index>.png`
 * on this transport (serve mode adds the access token; the desktop app's protocol needs none).
 */
import { defineStore } from 'pinia';
import { thumbnailPath, type ThumbnailRefInput } from '../../shared/thumbnails.ts';
import { useApiClient } from '../api/client-holder.ts';

export const useThumbnailsStore = defineStore('thumbnails', () => {
  const api = useApiClient();
  function urlOf(ref: ThumbnailRefInput): string {
    return api.assetUrl(thumbnailPath(ref));
  }
  return { urlOf };
});
